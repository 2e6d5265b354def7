package io.resiliencekit.testkit;

/** The server-side limiter: a plain synchronized token bucket on {@link System#nanoTime()}. */
final class TokenBucket {

    private final double ratePerNano;
    private final double burst;
    private final double ratePerSecond;
    private double tokens;
    private long last;

    TokenBucket(double permitsPerSecond, int burst, long nowNanos) {
        this(permitsPerSecond, burst, burst, nowNanos);
    }

    private TokenBucket(double permitsPerSecond, int burst, double tokens, long nowNanos) {
        this.ratePerNano = permitsPerSecond / 1e9;
        this.ratePerSecond = permitsPerSecond;
        this.burst = burst;
        this.tokens = Math.min(burst, tokens);
        this.last = nowNanos;
    }

    /** A bucket with another limit that keeps this one's tokens (up to its burst). */
    synchronized TokenBucket withLimit(double permitsPerSecond, int newBurst, long nowNanos) {
        refill(nowNanos);
        return new TokenBucket(permitsPerSecond, newBurst, tokens, nowNanos);
    }

    double ratePerSecond() {
        return ratePerSecond;
    }

    long burst() {
        return (long) burst;
    }

    /** Whole tokens left now. */
    synchronized long remaining(long nowNanos) {
        refill(nowNanos);
        return (long) Math.floor(tokens);
    }

    private void refill(long nowNanos) {
        if (nowNanos > last) {
            tokens = Math.min(burst, tokens + (nowNanos - last) * ratePerNano);
            last = nowNanos;
        }
    }

    /** Takes one token and returns 0, or returns the nanos until one will be available. */
    synchronized long tryTake(long nowNanos) {
        refill(nowNanos);
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1.0 - tokens) / ratePerNano));
    }
}
