package io.resiliencekit.breaker;

import io.resiliencekit.metrics.EventPublisher;
import java.time.Duration;

/**
 * STUB: contract only; the implementation lands with the circuit breaker work.
 */
public final class CircuitBreaker {

    private final String name;
    private final EventPublisher events = new EventPublisher();

    private CircuitBreaker(String name) {
        this.name = name;
    }

    /** Creates a breaker from its config, on the given clock. */
    public static CircuitBreaker of(CircuitBreakerConfig config, io.resiliencekit.time.Ticker ticker) {
        return new CircuitBreaker("stub");
    }

    public String name() {
        return name;
    }

    /** Hot path: true if a call may be made now. In CLOSED state this must do no write. */
    public boolean tryAcquirePermission() {
        return true;
    }

    /** @param durationNanos the call's duration, or -1 if not timed (see {@link #needsTiming()}) */
    public void onSuccess(long durationNanos) {
    }

    public void onFailure(long durationNanos, Throwable failure) {
    }

    /** A permission was acquired but the call was not made. */
    public void releasePermission() {
    }

    /** True if outcomes must carry durations (slow-call threshold configured). */
    public boolean needsTiming() {
        return false;
    }

    public CircuitState state() {
        return CircuitState.CLOSED;
    }

    /** Time left before an open breaker lets a trial through; zero unless OPEN. */
    public Duration remainingOpenTime() {
        return Duration.ZERO;
    }

    public EventPublisher events() {
        return events;
    }
}
