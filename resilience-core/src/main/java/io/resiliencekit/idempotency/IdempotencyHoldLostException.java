package io.resiliencekit.idempotency;

import io.resiliencekit.ResilienceException;

/**
 * This call's hold on its key was taken over by another holder (this JVM was stopped or paused for
 * longer than the hold, so its renewals stopped), or could not be confirmed before an attempt. The
 * action was not started again here: the new holder owns the effect now.
 *
 * <pre>{@code
 * try {
 *     policy.call(ctx, action);
 * } catch (IdempotencyHoldLostException e) {
 *     log.warn("{} is handled by another holder now", e.key());
 * }
 * }</pre>
 */
public class IdempotencyHoldLostException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final String key;

    public IdempotencyHoldLostException(String policyName, String key, String why, Throwable cause) {
        super("idempotency key '" + key + "': " + why, policyName, 0, cause);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
