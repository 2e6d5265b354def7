package io.resiliencekit.idempotency;

import io.resiliencekit.ResilienceException;

/**
 * Another holder is running the action for this key (in-progress mode {@code fail}, or the wait
 * ran out). The action was not run here; try again after {@link #expiresAtEpochMillis()}.
 *
 * <pre>{@code
 * try {
 *     policy.call(ctx, action);
 * } catch (IdempotencyInProgressException e) {
 *     log.info("{} is being handled by {}", e.key(), e.holder());
 * }
 * }</pre>
 */
public class IdempotencyInProgressException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String holder;
    private final long expiresAtEpochMillis;

    public IdempotencyInProgressException(String policyName, String key, String holder, long expiresAtEpochMillis, String why) {
        super("idempotency key '" + key + "' is in progress at holder " + holder + " (hold ends at epoch ms "
            + expiresAtEpochMillis + "); " + why, policyName, 0, null);
        this.key = key;
        this.holder = holder;
        this.expiresAtEpochMillis = expiresAtEpochMillis;
    }

    public String key() {
        return key;
    }

    public String holder() {
        return holder;
    }

    public long expiresAtEpochMillis() {
        return expiresAtEpochMillis;
    }
}
