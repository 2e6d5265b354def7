package io.resiliencekit.spi;

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

    /** What {@link #reserve} returns when no permit can be had within the given wait. */
    long NOT_WITHIN_WAIT = Long.MIN_VALUE;

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

    /**
     * Never blocks; the policy's engine uses it so that its synchronous and asynchronous paths wait
     * the same way (one sleeps on the ticker, the other schedules).
     *
     * @param maxWaitNanos the longest the caller is still willing to wait
     * @return {@code 0}: the permits are taken; {@code > 0}: the permits are reserved and may be
     *     used after waiting that many nanoseconds; {@code < 0} (but not {@link #NOT_WITHIN_WAIT}):
     *     nothing was taken, ask again after {@code -result} nanoseconds; {@link #NOT_WITHIN_WAIT}: no
     *     permit within {@code maxWaitNanos}
     */
    default long reserve(int permits, long maxWaitNanos) {
        if (tryAcquire(permits)) {
            return 0L;
        }
        return maxWaitNanos <= 0 ? NOT_WITHIN_WAIT : -Math.min(maxWaitNanos, 1_000_000L);
    }

    /**
     * The service answered "slow down" (429, or a 503 the classifier calls throttling): pause
     * admissions for {@code hint} (already capped by the policy's {@code retryAfterCap}).
     * {@code hint} is {@link Duration#ZERO} when the service said for how long nowhere; a local
     * limiter then has nothing to do, a leased one tells its authority, which slows the whole bucket.
     */
    void onThrottled(Duration hint);
}
