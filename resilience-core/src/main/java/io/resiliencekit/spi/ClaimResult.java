package io.resiliencekit.spi;

import java.util.Objects;

/**
 * The answer of {@link IdempotencyStore#claim}: what the caller may do with a key.
 *
 * <pre>{@code
 * ClaimResult r = store.claim(key, fingerprint, holder, Duration.ofMinutes(5));
 * switch (r.status()) {
 *     case NEW:         runAndComplete(); break;                // we hold the key now
 *     case COMPLETED:   return decode(r.outcome());             // done before: reuse its outcome
 *     case IN_PROGRESS: waitOrFail(r.holder(), r.expiresAtEpochMillis()); break;
 *     case MISMATCH:    throw new IllegalStateException("key reused for another payload");
 * }
 * }</pre>
 */
public final class ClaimResult {

    /** What the store says about a key. */
    public enum Status {
        /** The caller now holds the key until the hold expires: run the action, then complete or release. */
        NEW,
        /** Another holder is running the action; its hold ends at {@link #expiresAtEpochMillis()}. */
        IN_PROGRESS,
        /** The action already ran to completion; {@link #outcome()} is what it stored. */
        COMPLETED,
        /** The key is known with another payload fingerprint: a bug in key derivation, never skipped silently. */
        MISMATCH
    }

    private static final ClaimResult NEW = new ClaimResult(Status.NEW, null, 0L, null, null);

    private final Status status;
    private final String holder;
    private final long expiresAtEpochMillis;
    private final byte[] outcome;
    private final String storedFingerprint;

    private ClaimResult(Status status, String holder, long expiresAtEpochMillis, byte[] outcome, String storedFingerprint) {
        this.status = status;
        this.holder = holder;
        this.expiresAtEpochMillis = expiresAtEpochMillis;
        this.outcome = outcome;
        this.storedFingerprint = storedFingerprint;
    }

    public static ClaimResult claimed() {
        return NEW;
    }

    public static ClaimResult inProgress(String holder, long expiresAtEpochMillis) {
        return new ClaimResult(Status.IN_PROGRESS, Objects.requireNonNull(holder, "holder"), expiresAtEpochMillis, null, null);
    }

    public static ClaimResult completed(byte[] outcome) {
        return new ClaimResult(Status.COMPLETED, null, 0L, outcome, null);
    }

    public static ClaimResult mismatch(String storedFingerprint) {
        return new ClaimResult(Status.MISMATCH, null, 0L, null, storedFingerprint);
    }

    public Status status() {
        return status;
    }

    /** The current holder, for {@link Status#IN_PROGRESS}; null otherwise. */
    public String holder() {
        return holder;
    }

    /** When the current hold ends (epoch millis of the store's ticker), for {@link Status#IN_PROGRESS}. */
    public long expiresAtEpochMillis() {
        return expiresAtEpochMillis;
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
            case IN_PROGRESS:
                return "IN_PROGRESS(holder=" + holder + ", expiresAt=" + expiresAtEpochMillis + ")";
            case COMPLETED:
                return "COMPLETED(" + (outcome == null ? "no outcome" : outcome.length + " bytes") + ")";
            default:
                return status.name();
        }
    }
}
