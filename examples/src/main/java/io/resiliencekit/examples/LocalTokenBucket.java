package io.resiliencekit.examples;

import io.resiliencekit.ratelimit.RateLimiter;
import io.resiliencekit.ratelimit.RateLimiterFactory;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A plain per-JVM token bucket for the example, which runs Spark in local mode (one JVM, so one
 * bucket is the global limit). Stand-in until the toolkit's own limiters (GCRA bucket, leased
 * cluster-wide bucket) are wired into the example; the {@link RateLimiter} contract is the same.
 *
 * <pre>{@code
 * ResiliencePolicy.builder("api").rateLimiter(LocalTokenBucket.factory("api", 2000, 200))
 * }</pre>
 */
final class LocalTokenBucket implements RateLimiter {

    private static final ConcurrentMap<String, LocalTokenBucket> BUCKETS = new ConcurrentHashMap<>();

    private final String name;
    private final double perNano;
    private final double burst;
    private final Ticker ticker;
    private double tokens;
    private long last;
    private long pausedUntil;

    private LocalTokenBucket(String name, double perSecond, int burst, Ticker ticker) {
        this.name = name;
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.ticker = ticker;
        this.tokens = burst;
        this.last = ticker.nanoTime();
    }

    /** One bucket per name per JVM, as the {@link RateLimiterFactory} contract asks. */
    static RateLimiterFactory factory(String name, double perSecond, int burst) {
        return ticker -> BUCKETS.computeIfAbsent(name, n -> new LocalTokenBucket(n, perSecond, burst, ticker));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized boolean tryAcquire(int permits) {
        return waitNanos(permits) == 0 && take(permits);
    }

    @Override
    public long acquire(int permits, Duration timeout) throws InterruptedException {
        long start = ticker.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            long wait;
            synchronized (this) {
                wait = waitNanos(permits);
                if (wait == 0 && take(permits)) {
                    return ticker.nanoTime() - start;
                }
            }
            if (ticker.nanoTime() + wait > deadline) {
                return -1;
            }
            ticker.sleepNanos(Math.max(wait, 50_000));
        }
    }

    @Override
    public synchronized void onThrottled(Duration hint) {
        pausedUntil = Math.max(pausedUntil, ticker.nanoTime() + hint.toNanos());
    }

    private long waitNanos(int permits) {
        long now = ticker.nanoTime();
        if (now < pausedUntil) {
            return pausedUntil - now;
        }
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        return tokens >= permits ? 0 : (long) Math.ceil((permits - tokens) / perNano);
    }

    private boolean take(int permits) {
        if (tokens < permits) {
            return false;
        }
        tokens -= permits;
        return true;
    }
}
