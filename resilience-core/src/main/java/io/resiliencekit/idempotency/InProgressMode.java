package io.resiliencekit.idempotency;

/** What a caller does when another holder is running the action for its key. */
public enum InProgressMode {
    /** Poll with backoff until the key is completed (return its outcome) or the hold expires (claim it). */
    WAIT,
    /** Throw {@link IdempotencyInProgressException} at once. */
    FAIL
}
