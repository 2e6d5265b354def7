package io.resiliencekit.policy;

import io.resiliencekit.RateLimitedException;
import io.resiliencekit.event.EventType;
import io.resiliencekit.spi.RateLimiter;
import java.time.Duration;

/**
 * The rate-limit stage: one permit per attempt, taken before the breaker's permission so that no
 * breaker permission (a half-open trial) is held while the call waits for a permit. A permit that
 * cannot be had within {@code rateLimit.maxWait} ends the call with {@link RateLimitedException}.
 */
final class RateLimitStage implements AttemptStage {

    final RateLimiter limiter;
    private final Duration maxWait;
    private final long maxWaitNanos;
    private final CallEngine engine;

    RateLimitStage(RateLimiter limiter, Duration maxWait, CallEngine engine) {
        this.limiter = limiter;
        this.maxWait = maxWait;
        this.maxWaitNanos = saturatedNanos(maxWait);
        this.engine = engine;
    }

    /** Hot path: a permit now, or false (nothing taken). */
    boolean tryEnter() {
        return limiter.tryAcquire(1);
    }

    @Override
    public void refuseEarly(Execution<?> x) {
        // a limiter never refuses without having waited
    }

    @Override
    public long enter(Execution<?> x) {
        if (x.permitReserved) {
            // the permit reserved before the last wait is ours now
            x.permitReserved = false;
            return finish(x);
        }
        long left = maxWaitNanos - x.permitWaitNanos;
        long r = limiter.reserve(1, left);
        if (r == 0) {
            return finish(x);
        }
        if (r == RateLimiter.NOT_WITHIN_WAIT || (r > 0 && r > left)) {
            throw refused(x);
        }
        long wait;
        if (r > 0) {
            x.permitReserved = true;
            wait = r;
        } else {
            wait = Math.min(-r, left);
            if (wait <= 0) {
                throw refused(x);
            }
        }
        x.permitWaitNanos += wait;
        return wait;
    }

    private long finish(Execution<?> x) {
        long waited = x.permitWaitNanos;
        if (waited > 0) {
            x.permitWaitNanos = 0;
            engine.metrics.recordThrottleWait(waited);
            engine.publish(x.site, EventType.THROTTLE_WAIT, x.attempts + 1, Duration.ofNanos(waited), limiter.name(),
                x.lastFailure);
        }
        return 0L;
    }

    private RateLimitedException refused(Execution<?> x) {
        x.permitWaitNanos = 0;
        return new RateLimitedException(engine.name, limiter.name(), maxWait, x.attempts);
    }

    @Override
    public void onSuccess(Execution<?> x, long durationNanos) {
    }

    @Override
    public void onFailure(Execution<?> x, long durationNanos, Throwable failure) {
    }

    @Override
    public void abandon(Execution<?> x) {
        // a permit taken for an attempt that was not made is spent: giving it back could exceed the rate
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
