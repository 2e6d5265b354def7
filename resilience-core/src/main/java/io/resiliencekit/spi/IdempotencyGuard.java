package io.resiliencekit.spi;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;

/**
 * What the composed policy needs to make a call at most once per idempotency key: claim the key,
 * run the action (with all its retries) only when the claim is new, then complete or release it.
 * The policy's engine drives a {@link Claim} step by step, so the synchronous and asynchronous
 * paths claim, wait and complete with the same code.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("payments")
 *     .idempotency(IdempotencyConfig.builder().build())
 *     .build();
 * policy.call(CallContext.ofKey(key), () -> api.charge(order)); // a duplicate gets the stored outcome
 * }</pre>
 */
public interface IdempotencyGuard {

    /** The claim of one call on its context's key; makes no store call yet. */
    Claim open(String policyName, CallContext context);

    /**
     * Blocking convenience over {@link #open}: claims (waiting on the guard's clock while another
     * holder runs), runs {@code action} if the key is new, completes or releases it, and returns the
     * result; for a key already completed, returns the stored outcome without running anything.
     * Calls without a key run directly.
     */
    <T> T execute(String policyName, CallContext context, CheckedSupplier<T> action) throws Exception;

    /** One call's claim of its key, used by one call at a time. */
    interface Claim {

        /** {@link #tryClaim()}: the caller holds the key; run the action, then {@link #complete} or {@link #fail}. */
        long CLAIMED = 0L;

        /** {@link #tryClaim()}: the key was completed before; {@link #replay()} returns its outcome. */
        long DONE = -1L;

        /**
         * One try at the store.
         *
         * @return {@link #CLAIMED}, {@link #DONE}, or {@code > 0}: another holder runs it; wait that many
         *     nanoseconds and try again
         * @throws Exception when the key cannot be had (another payload, in-progress mode {@code fail},
         *     {@code maxWait} passed) or the store failed
         */
        long tryClaim() throws Exception;

        /** The stored outcome after {@link #DONE}: the value, or the cached failure thrown. */
        Object replay() throws Exception;

        /** The action succeeded with {@code value}: the key is completed with it. */
        void complete(Object value);

        /** The action failed: the key is released (or the failure cached, if so configured). */
        void fail(Throwable failure);
    }
}
