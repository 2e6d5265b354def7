package io.resiliencekit;

import java.time.Duration;

/** The circuit breaker is open (or its half-open trials are taken), so the call was not made. */
public class CircuitOpenException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final String breakerName;
    private final Duration retryAfter;

    public CircuitOpenException(String policyName, String breakerName, int attempts, Duration retryAfter, Throwable lastFailure) {
        super("circuit breaker '" + breakerName + "' is open; call not made"
            + (retryAfter == null ? "" : " (next trial in about " + retryAfter.toMillis() + " ms)"),
            policyName, attempts, lastFailure);
        this.breakerName = breakerName;
        this.retryAfter = retryAfter;
    }

    public String breakerName() {
        return breakerName;
    }

    /** Roughly how long until the breaker lets a trial call through; may be null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
