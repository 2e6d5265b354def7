package io.resiliencekit.policy;

import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.CircuitState;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;

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
        CircuitState before = breaker.state();
        boolean permitted = breaker.tryAcquirePermission();
        observe(x, before, null);
        if (!permitted) {
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
    public void onSuccess(Execution<?> x, long durationNanos) {
        CircuitState before = breaker.state();
        breaker.onSuccess(durationNanos);
        observe(x, before, null);
    }

    @Override
    public void onFailure(Execution<?> x, long durationNanos, Throwable failure) {
        CircuitState before = breaker.state();
        breaker.onFailure(durationNanos, failure);
        observe(x, before, failure);
    }

    @Override
    public void abandon(Execution<?> x) {
        breaker.releasePermission();
    }

    /**
     * The breaker publishes its transitions to the policy's listeners; a call site's own listener (a
     * Spark partition counting what its calls did) hears about the ones its call caused here.
     */
    private void observe(Execution<?> x, CircuitState before, Throwable cause) {
        if (x.site != null && x.site.listener != null) {
            CircuitState after = breaker.state();
            if (after != before) {
                x.site.deliver(new ResilienceEvent(EventType.BREAKER_TRANSITION, engine.name,
                    engine.ticker.epochMillis(), x.attempts, breaker.remainingOpenTime(), before + "->" + after, cause));
            }
        }
    }
}
