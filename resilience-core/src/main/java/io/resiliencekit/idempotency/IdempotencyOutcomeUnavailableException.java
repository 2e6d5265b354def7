package io.resiliencekit.idempotency;

import io.resiliencekit.ResilienceException;

/**
 * The key is completed (the action ran once, successfully), but its result could not be stored
 * (the codec could not encode its type), so a duplicate has no result to return.
 */
public class IdempotencyOutcomeUnavailableException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final String key;

    public IdempotencyOutcomeUnavailableException(String policyName, String key, String resultType) {
        super("idempotency key '" + key + "' is completed, but its result of type " + resultType + " was not stored "
            + "(not encodable by the outcome codec); return a Serializable value or configure an OutcomeCodec",
            policyName, 0, null);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
