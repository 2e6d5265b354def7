package io.resiliencekit.spi;

import java.util.Objects;

/**
 * The answer of {@link IdempotencyStore#claim}: what the caller may do with a key.
 *
 * <pre>{@code
 * ClaimResult r = store.claim(key, fingerprint, holder, Duration.ofSeconds(30));
 * switch (r.status()) {
 *     case NEW:         runAndComplete(r.fencingToken()); break;    // we hold the key now
 *     case COMPLETED:   return decode(r.outcome());                  // done before: reuse its outcome
 *     case IN_PROGRESS: retryIn(r.holdRemainingMillis()); break;    // measured on the store's clock
 *     case MISMATCH:    throw new IllegalStateException("key reused for another payload");
 * }
 * }</pre>
 *
 * <p>A store may hand out the same {@code COMPLETED} instance for every duplicate of a key (its
 * outcome array must then not be modified), so a duplicate's claim need not allocate.
 */
public final class ClaimResult {

    /** What the store says about a key. */
    public enum Status {
        /** The caller now holds the key: run the action, renew the hold while it runs, then complete or release. */
        NEW,
        /** Another holder is running the action; its hold lasts another {@link #holdRemainingMillis()}. */
        IN_PROGRESS,
        /** The action already ran to completion; {@link #outcome()} is what it stored. */
        COMPLETED,
        /** The key is known with another payload fingerprint: a bug in key derivation, never skipped silently. */
        MISMATCH
    }

    private final Status status;
    private final long fencingToken;
    private final String holder;
    private final long expiresAtEpochMillis;
    private final long holdRemainingMillis;
    private final byte[] outcome;
    private final String storedFingerprint;

    private ClaimResult(Status status, long fencingToken, String holder, long expiresAtEpochMillis,
                        long holdRemainingMillis, byte[] outcome, String storedFingerprint) {
        this.status = status;
        this.fencingToken = fencingToken;
        this.holder = holder;
        this.expiresAtEpochMillis = expiresAtEpochMillis;
        this.holdRemainingMillis = holdRemainingMillis;
        this.outcome = outcome;
        this.storedFingerprint = storedFingerprint;
    }

    /**
     * The caller holds the key under {@code fencingToken} (positive): the store accepts
     * {@link IdempotencyStore#renew renew}, {@link IdempotencyStore#complete complete} and
     * {@link IdempotencyStore#release release} only with the token of the key's current hold.
     */
    public static ClaimResult claimed(long fencingToken) {
        if (fencingToken <= 0) {
            throw new IllegalArgumentException("fencing token must be positive, was " + fencingToken);
        }
        return new ClaimResult(Status.NEW, fencingToken, null, 0L, 0L, null, null);
    }

    /**
     * @param expiresAtEpochMillis when the hold ends on the store's clock (for messages)
     * @param holdRemainingMillis how long the hold lasts from now, measured by the store's clock, so
     *     a caller on another machine never compares its own clock with the store's
     */
    public static ClaimResult inProgress(String holder, long expiresAtEpochMillis, long holdRemainingMillis) {
        return new ClaimResult(Status.IN_PROGRESS, 0L, Objects.requireNonNull(holder, "holder"), expiresAtEpochMillis,
            Math.max(0L, holdRemainingMillis), null, null);
    }

    public static ClaimResult completed(byte[] outcome) {
        return new ClaimResult(Status.COMPLETED, 0L, null, 0L, 0L, outcome, null);
    }

    public static ClaimResult mismatch(String storedFingerprint) {
        return new ClaimResult(Status.MISMATCH, 0L, null, 0L, 0L, null, storedFingerprint);
    }

    public Status status() {
        return status;
    }

    /** The token of the caller's hold, for {@link Status#NEW}; 0 otherwise. */
    public long fencingToken() {
        return fencingToken;
    }

    /** The current holder, for {@link Status#IN_PROGRESS}; null otherwise. */
    public String holder() {
        return holder;
    }

    /** When the current hold ends (epoch millis of the store's clock), for {@link Status#IN_PROGRESS}. */
    public long expiresAtEpochMillis() {
        return expiresAtEpochMillis;
    }

    /** How long the current hold lasts from the claim on, by the store's clock, for {@link Status#IN_PROGRESS}. */
    public long holdRemainingMillis() {
        return holdRemainingMillis;
    }

    /** The stored outcome bytes, for {@link Status#COMPLETED} (may be null if none was stored). */
    public byte[] outcome() {
        return outcome;
    }

    /** The fingerprint the key was first claimed with, for {@link Status#MISMATCH}. */
    public String storedFingerprint() {
        return storedFingerprint;
    }

    @Override
    public String toString() {
        switch (status) {
            case NEW:
                return "NEW(token=" + fencingToken + ")";
            case IN_PROGRESS:
                return "IN_PROGRESS(holder=" + holder + ", remaining=" + holdRemainingMillis + "ms)";
            case COMPLETED:
                return "COMPLETED(" + (outcome == null ? "no outcome" : outcome.length + " bytes") + ")";
            default:
                return status.name();
        }
    }
}
