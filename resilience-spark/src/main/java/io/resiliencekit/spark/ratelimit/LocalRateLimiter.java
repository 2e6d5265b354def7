package io.resiliencekit.spark.ratelimit;

import java.time.Duration;

import io.resiliencekit.ratelimit.RateLimiter;
import io.resiliencekit.time.Ticker;

/**
 * Per-JVM token bucket used when the plugin is absent (and by tests as the "naive per-task limiter"
 * baseline). Simple and synchronized: the cluster path is what this module optimises.
 */
public final class LocalRateLimiter implements RateLimiter {

    private final String name;
    private final double nanosPerToken;
    private final long burst;
    private final Ticker ticker;
    private double level;
    private long last;
    private long pausedUntil;

    public LocalRateLimiter(String name, double ratePerSecond, long burst, Ticker ticker) {
        this.name = name;
        this.nanosPerToken = 1e9 / ratePerSecond;
        this.burst = burst;
        this.ticker = ticker;
        this.level = burst;
        this.last = ticker.nanoTime();
        this.pausedUntil = last;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized boolean tryAcquire(int permits) {
        long now = ticker.nanoTime();
        level = Math.min(burst, level + (now - last) / nanosPerToken);
        last = now;
        if (now - pausedUntil >= 0 && level >= permits) {
            level -= permits;
            return true;
        }
        return false;
    }

    @Override
    public long acquire(int permits, Duration timeout) throws InterruptedException {
        long start = ticker.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!tryAcquire(permits)) {
            long now = ticker.nanoTime();
            if (now - deadline >= 0) {
                return -1;
            }
            long wait;
            synchronized (this) {
                wait = Math.max((long) ((permits - level) * nanosPerToken), pausedUntil - now);
            }
            ticker.sleepNanos(Math.max(100_000L, Math.min(wait, deadline - now)));
        }
        return ticker.nanoTime() - start;
    }

    @Override
    public synchronized void onThrottled(Duration hint) {
        long until = ticker.nanoTime() + hint.toNanos();
        if (until - pausedUntil > 0) {
            pausedUntil = until;
        }
    }
}
