package io.resiliencekit.spi;

import java.io.Serializable;

/**
 * What a client tells its token authority when the service it calls answered "slow down" (429,
 * a 503 the classifier calls throttling, a {@code Retry-After} or rate-limit header), so the
 * authority slows or pauses grants for every client of the bucket, not just this one.
 * Immutable and {@link Serializable}; travels inside a {@link LeaseRequest}.
 *
 * <pre>{@code
 * new ThrottleSignal(2_000_000_000L, 3);   // three throttle answers since the last request, the longest hint 2 s
 * }</pre>
 *
 * @param hintNanos the longest hint among the signals (already capped by the caller's {@code retryAfterCap}),
 *                  0 when the service gave none
 * @param count     throttle answers seen since the client's previous request (at least 1)
 */
public record ThrottleSignal(long hintNanos, int count) implements Serializable {

    private static final long serialVersionUID = 1L;

    public ThrottleSignal {
        if (hintNanos < 0 || count < 1) {
            throw new IllegalArgumentException("invalid throttle signal: hintNanos=" + hintNanos + " count=" + count);
        }
    }

    /** This signal and {@code other} as one: the longer hint, the counts added. */
    public ThrottleSignal merge(ThrottleSignal other) {
        if (other == null) {
            return this;
        }
        long sum = (long) count + other.count;
        return new ThrottleSignal(Math.max(hintNanos, other.hintNanos), (int) Math.min(Integer.MAX_VALUE, sum));
    }
}
