package io.resiliencekit.ratelimit;

import java.time.Duration;

/**
 * What the composed policy needs from a rate limiter. Implemented by the local token bucket and
 * by the leased (cluster-wide) token bucket.
 *
 * <pre>{@code
 * if (!limiter.tryAcquire(1)) {
 *     long waited = limiter.acquire(1, Duration.ofMinutes(1));   // -1: no permit in time
 * }
 * }</pre>
 */
public interface RateLimiter {

    /** Name used in events, metrics and errors. */
    String name();

    /** Takes {@code permits} now if available; never blocks. The hot path. */
    boolean tryAcquire(int permits);

    /**
     * Waits up to {@code timeout} for {@code permits}.
     *
     * @return nanoseconds waited (0 if none), or -1 if the permits could not be had in time
     * @throws InterruptedException if interrupted while waiting; no permits are then taken
     */
    long acquire(int permits, Duration timeout) throws InterruptedException;

    /** The service answered "slow down" with this hint (429, 503 + Retry-After): pause admissions for it. */
    void onThrottled(Duration hint);
}
