package io.resiliencekit.spark.ratelimit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.ratelimit.RateLimiter;
import io.resiliencekit.spark.ClusterCoordinator;
import io.resiliencekit.spark.ratelimit.LeaseMessages.Lease;
import io.resiliencekit.spark.ratelimit.LeaseMessages.LeaseRequest;
import io.resiliencekit.time.Ticker;

/**
 * An executor's share of a cluster-wide rate limit: spends tokens leased from the driver's
 * {@link DriverTokenAuthority} and asks for the next lease in the background before it runs out,
 * sized from the demand it measured. Created by {@link ClusterRateLimiterFactory}.
 *
 * <p>The success path is a clock read and one CAS on the local token count. Leases lapse
 * {@link DriverTokenAuthority#LEASE_NANOS} after the request that got them was sent (earlier than
 * the driver's own expiry, so the two never disagree in the unsafe direction). If the driver
 * cannot be reached, the limiter falls back to a local bucket at {@code R / clients} (the number
 * of executors the driver last reported), never to unlimited.
 *
 * <pre>{@code
 * RateLimiter l = ClusterRateLimiterFactory.of("orders-api", 100, 10).create(Ticker.system());
 * long waited = l.acquire(1, Duration.ofSeconds(30));
 * }</pre>
 */
public final class ClusterRateLimiter implements RateLimiter {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRateLimiter.class);

    /** Renew a lease this long before it lapses, so a steady client never sees a gap. */
    private static final long RENEW_BEFORE_EXPIRY_NANOS = DriverTokenAuthority.LEASE_NANOS / 4;

    private final String name;
    private final double rate;
    private final long burst;
    private final Ticker ticker;
    private final ClusterCoordinator coordinator;

    private final AtomicLong tokens = new AtomicLong();
    private volatile long expiresAt;
    private volatile long pausedUntil;
    private final AtomicBoolean refilling = new AtomicBoolean();
    private volatile long nextAskAt;
    private final Object signal = new Object();

    // demand measurement: tokens spent since the last request, and when it was sent
    private final AtomicLong spentSinceAsk = new AtomicLong();
    private volatile long lastAskAt;
    private volatile double demandPerSecond;

    // fallback when the driver is unreachable
    private volatile LocalFallback fallback;
    private volatile int lastKnownClients = 1;

    ClusterRateLimiter(String name, double rate, long burst, Ticker ticker, ClusterCoordinator coordinator) {
        this.name = name;
        this.rate = rate;
        this.burst = burst;
        this.ticker = ticker;
        this.coordinator = coordinator;
        long now = ticker.nanoTime();
        this.expiresAt = now;
        this.lastAskAt = now;
        this.nextAskAt = now;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean tryAcquire(int permits) {
        LocalFallback f = fallback;
        if (f != null) {
            maybeAsk(ticker.nanoTime()); // keeps trying the driver; success drops the fallback
            return f.tryAcquire(permits, ticker.nanoTime());
        }
        long now = ticker.nanoTime();
        if (now - pausedUntil < 0) {
            return false;
        }
        if (now - expiresAt >= 0) {
            tokens.set(0); // the lease lapsed: the driver no longer counts these tokens for us
            maybeAsk(now);
            return false;
        }
        while (true) {
            long t = tokens.get();
            if (t < permits) {
                maybeAsk(now);
                return false;
            }
            if (tokens.compareAndSet(t, t - permits)) {
                spentSinceAsk.addAndGet(permits);
                if (t - permits <= lowWater() || expiresAt - now < RENEW_BEFORE_EXPIRY_NANOS) {
                    maybeAsk(now);
                }
                return true;
            }
        }
    }

    @Override
    public long acquire(int permits, Duration timeout) throws InterruptedException {
        long start = ticker.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            if (tryAcquire(permits)) {
                return ticker.nanoTime() - start;
            }
            long now = ticker.nanoTime();
            if (now - deadline >= 0) {
                return -1;
            }
            // wake on a lease reply, or re-check after a short pause (next ask, lapse, throttle)
            long wait = Math.min(deadline - now, Math.max(200_000L, Math.min(nextAskAt - now, 5_000_000L)));
            if (now - pausedUntil < 0) {
                wait = Math.min(deadline - now, pausedUntil - now);
            }
            synchronized (signal) {
                if (refilling.get()) {
                    long ms = Math.max(1, wait / 1_000_000L);
                    signal.wait(ms);
                    continue;
                }
            }
            ticker.sleepNanos(Math.max(1, wait));
        }
    }

    @Override
    public void onThrottled(Duration hint) {
        long until = ticker.nanoTime() + hint.toNanos();
        if (until - pausedUntil > 0) {
            pausedUntil = until;
        }
    }

    /** Tokens this JVM holds now (for tests and metrics). */
    public long heldTokens() {
        return ticker.nanoTime() - expiresAt >= 0 ? 0 : tokens.get();
    }

    private long lowWater() {
        // ask again when a third of the expected need for one round trip is left
        return Math.max(1, (long) Math.ceil(demandPerSecond * 0.01));
    }

    private int wanted(long now) {
        long spent = spentSinceAsk.getAndSet(0);
        long elapsed = Math.max(1, now - lastAskAt);
        double measured = spent * 1e9 / elapsed;
        double d = demandPerSecond == 0 ? measured : 0.5 * demandPerSecond + 0.5 * measured;
        demandPerSecond = d;
        // enough for a quarter of a lease at the measured demand; small leases leave more for others
        long w = (long) Math.ceil(d * 0.05);
        return (int) Math.max(1, Math.min(Math.max(1, burst / 2), w));
    }

    private void maybeAsk(long now) {
        if (now - nextAskAt < 0 || !refilling.compareAndSet(false, true)) {
            return;
        }
        long unspent = now - expiresAt >= 0 ? 0 : tokens.get();
        int want = wanted(now);
        lastAskAt = now;
        long sentAt = now;
        LeaseRequest req = new LeaseRequest(name, rate, burst, want, unspent);
        coordinator.askAsync(LeaseMessages.LEASE, req).whenComplete((lease, error) -> {
            try {
                if (error != null) {
                    onDriverLost(error);
                } else {
                    onLease(lease, sentAt);
                }
            } finally {
                refilling.set(false);
                synchronized (signal) {
                    signal.notifyAll();
                }
            }
        });
    }

    private void onLease(Lease l, long sentAt) {
        if (fallback != null) {
            LOG.info("rate limiter '{}': driver reachable again, back to cluster-wide leases", name);
            fallback = null;
        }
        lastKnownClients = Math.max(1, l.clients);
        long newExpiry = sentAt + l.validNanos;
        if (ticker.nanoTime() - expiresAt >= 0) {
            tokens.set(0);
        }
        tokens.addAndGet(l.granted);
        expiresAt = newExpiry;
        nextAskAt = l.granted > 0 ? sentAt : ticker.nanoTime() + l.retryAfterNanos;
    }

    private void onDriverLost(Throwable error) {
        if (fallback == null) {
            double share = rate / Math.max(1, lastKnownClients);
            LOG.warn("rate limiter '{}': driver unreachable ({}); falling back to a local {}/s ({} / {} executors)",
                    name, error.toString(), share, rate, lastKnownClients);
            fallback = new LocalFallback(share, ticker.nanoTime());
        }
        tokens.set(0);
        nextAskAt = ticker.nanoTime() + 1_000_000_000L;
    }

    /** Plain token bucket at a safe share of the global rate, burst 1. */
    private static final class LocalFallback {
        private final double nanosPerToken;
        private double level;
        private long last;

        LocalFallback(double rate, long now) {
            this.nanosPerToken = 1e9 / rate;
            this.last = now;
        }

        synchronized boolean tryAcquire(int permits, long now) {
            level = Math.min(1, level + (now - last) / nanosPerToken);
            last = now;
            if (level >= permits) {
                level -= permits;
                return true;
            }
            return false;
        }
    }
}
