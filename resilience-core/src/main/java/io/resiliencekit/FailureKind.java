package io.resiliencekit;

/** How a failure is treated. */
public enum FailureKind {
    /** May succeed if tried again: timeouts, resets, 500/502/503/504. Retried with backoff. */
    TRANSIENT,
    /** Will fail again however often it is tried: 400, 401, 403, 404, 409, 422, validation errors. Never retried. */
    PERMANENT,
    /** The service asked us to slow down (429, 503 with Retry-After): retried after its hint, and the rate limiter is told. */
    THROTTLED
}
