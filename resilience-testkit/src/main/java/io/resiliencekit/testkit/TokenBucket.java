package io.resiliencekit.testkit;

/** The server-side limiter: a plain synchronized token bucket on {@link System#nanoTime()}. */
final class TokenBucket {

    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long last;

    TokenBucket(double permitsPerSecond, int burst, long nowNanos) {
        this.ratePerNano = permitsPerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.last = nowNanos;
    }

    /** Takes one token and returns 0, or returns the nanos until one will be available. */
    synchronized long tryTake(long nowNanos) {
        if (nowNanos > last) {
            tokens = Math.min(burst, tokens + (nowNanos - last) * ratePerNano);
            last = nowNanos;
        }
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1.0 - tokens) / ratePerNano));
    }
}
