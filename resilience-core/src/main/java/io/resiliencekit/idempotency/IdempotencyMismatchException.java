package io.resiliencekit.idempotency;

import io.resiliencekit.ResilienceException;

/**
 * The idempotency key was already used for a payload with another fingerprint. The action was not
 * run: this is a bug in how keys are derived (two records share a key), never a duplicate to skip.
 *
 * <pre>{@code
 * try {
 *     policy.call(ctx, () -> api.send(order));
 * } catch (IdempotencyMismatchException e) {
 *     deadLetters.write(DeadLetter.builder().key(e.key()).failure(e).build());
 * }
 * }</pre>
 */
public class IdempotencyMismatchException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final String storedFingerprint;
    private final String fingerprint;

    public IdempotencyMismatchException(String policyName, String key, String storedFingerprint, String fingerprint) {
        super("idempotency key '" + key + "' was already used with payload fingerprint " + storedFingerprint
            + " but this call has " + fingerprint + "; not run (two records derive the same key?)",
            policyName, 0, null);
        this.key = key;
        this.storedFingerprint = storedFingerprint;
        this.fingerprint = fingerprint;
    }

    public String key() {
        return key;
    }

    /** The fingerprint the key was first claimed with. */
    public String storedFingerprint() {
        return storedFingerprint;
    }

    /** The fingerprint of the rejected call. */
    public String fingerprint() {
        return fingerprint;
    }
}
