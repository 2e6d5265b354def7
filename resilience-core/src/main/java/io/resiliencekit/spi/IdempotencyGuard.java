package io.resiliencekit.spi;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;

/**
 * What the composed policy needs to make a call at most once per idempotency key: claim the key,
 * run the action (with all its retries) only when the claim is new, keep the hold alive while it
 * runs, then complete or release it. The policy's engine drives a {@link Claim} step by step, so the
 * synchronous and asynchronous paths claim, wait and complete with the same code.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("payments")
 *     .idempotency(IdempotencyConfig.builder().build())
 *     .build();
 * policy.call(CallContext.ofKey(key), () -> api.charge(order)); // a duplicate gets the stored outcome
 *
 * // the same by hand, passing the fencing token to a target that checks it
 * IdempotencyGuard.Claim claim = guard.open("payments", CallContext.ofKey(key));
 * for (long wait = claim.tryClaim(); wait != Claim.CLAIMED; wait = claim.tryClaim()) {
 *     if (wait == Claim.DONE) { return (Receipt) claim.replay(); }
 *     Thread.sleep(wait / 1_000_000);
 * }
 * claim.checkHeld();
 * Receipt r = api.charge(order, claim.fencingToken());   // the target refuses tokens older than one it saw
 * claim.complete(r);
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

    /**
     * One call's claim of its key, used by one call at a time. Once claimed, the guard renews the
     * hold in the background (not on the calling thread) until {@link #complete} or {@link #fail},
     * so a holder that lives keeps its key however long its action and retries take.
     */
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

        /** The fencing token of the hold after {@link #CLAIMED} (see {@link IdempotencyStore}); 0 before. */
        long fencingToken();

        /**
         * Before each attempt of the action: returns if the hold is still this claim's, throws a
         * {@link io.resiliencekit.ResilienceException} if it was taken over (this JVM was paused past
         * the hold) or cannot be confirmed, so no attempt starts an effect another holder now owns.
         * Costs nothing while the background renewals keep the hold confirmed.
         */
        void checkHeld();

        /**
         * The action succeeded with {@code value}: the key is completed with it. If the store cannot be
         * reached, the guard keeps the hold and records the completion in the background once it can.
         *
         * @return false if the hold had been taken over: the completion was refused (fenced out)
         */
        boolean complete(Object value);

        /** The action failed: the key is released (or the failure cached, if so configured). */
        void fail(Throwable failure);
    }
}
