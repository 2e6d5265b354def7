package io.resiliencekit.idempotency;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;

/**
 * What the composed policy needs to make a call at most once per idempotency key: claim the key,
 * run the action (with all retries) only when the claim is new, then complete or release it.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("payments")
 *     .idempotency(guard)
 *     .build();
 * policy.call(CallContext.ofKey(key), () -> api.charge(order)); // a duplicate gets the stored outcome
 * }</pre>
 */
public interface IdempotencyGuard {

    /**
     * Runs {@code action} if {@code context}'s key is new, and returns its result; for a key already
     * completed, returns the stored outcome without running it. Calls without a key run directly.
     */
    <T> T execute(String policyName, CallContext context, CheckedSupplier<T> action) throws Exception;
}
