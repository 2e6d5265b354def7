package io.resiliencekit.event;

/** What happened. One listener can switch on it to route events. */
public enum EventType {
    /** A failed attempt will be retried after {@link ResilienceEvent#delay()}. */
    RETRY,
    /** A call failed for good: attempts, deadline or budget exhausted, or a permanent failure. */
    GIVE_UP,
    /** The retry budget refused a retry, so the call gave up early. */
    RETRY_BUDGET_EXHAUSTED,
    /** A circuit breaker changed state; {@link ResilienceEvent#detail()} is {@code "CLOSED->OPEN"}. */
    BREAKER_TRANSITION,
    /** A circuit breaker refused a call without making it. */
    BREAKER_REJECTED,
    /** A caller waited for a rate-limit permit; {@link ResilienceEvent#delay()} is the wait. */
    THROTTLE_WAIT,
    /** The service said "slow down" (429, 503 with a hint); admissions pause for the hint. */
    THROTTLED,
    /** An idempotency key was already completed or in progress, so the action was not run. */
    DUPLICATE_SKIPPED,
    /** A record was written to a dead-letter sink. */
    DEAD_LETTERED
}
