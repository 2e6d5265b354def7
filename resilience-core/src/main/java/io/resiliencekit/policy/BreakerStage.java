package io.resiliencekit.policy;

import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.event.EventType;

/**
 * The circuit-breaker stage: a permission per attempt (free while CLOSED, a trial while HALF_OPEN),
 * each outcome recorded. An open breaker refuses before any other stage takes anything.
 */
final class BreakerStage implements AttemptStage {

    final CircuitBreaker breaker;
    private final CallEngine engine;

    BreakerStage(CircuitBreaker breaker, CallEngine engine) {
        this.breaker = breaker;
        this.engine = engine;
    }

    @Override
    public void refuseEarly(Execution<?> x) {
        if (breaker.refusesNow()) {
            throw rejected(x);
        }
    }

    @Override
    public long enter(Execution<?> x) {
        if (!breaker.tryAcquirePermission()) {
            throw rejected(x);
        }
        return 0L;
    }

    private CircuitOpenException rejected(Execution<?> x) {
        engine.metrics.recordBreakerRejection();
        engine.publish(x.site, EventType.BREAKER_REJECTED, x.attempts, breaker.remainingOpenTime(), breaker.state().name(),
            x.lastFailure);
        return new CircuitOpenException(engine.name, breaker.name(), x.attempts, breaker.remainingOpenTime(),
            x.lastFailure);
    }

    @Override
    public void onSuccess(long durationNanos) {
        breaker.onSuccess(durationNanos);
    }

    @Override
    public void onFailure(long durationNanos, Throwable failure) {
        breaker.onFailure(durationNanos, failure);
    }

    @Override
    public void abandon() {
        breaker.releasePermission();
    }
}
