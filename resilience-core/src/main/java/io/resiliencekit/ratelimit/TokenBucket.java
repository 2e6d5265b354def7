package io.resiliencekit.ratelimit;

import io.resiliencekit.spi.RateLimiter;

import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lock-free local token bucket: rate R permits per second, burst B.
 *
 * <pre>{@code
 * TokenBucket bucket = TokenBucket.builder("orders-api").rate(100).burst(20).build();
 * if (bucket.tryAcquire(1)) { send(); }
 * long waited = bucket.acquire(1, Duration.ofSeconds(2));   // -1: none within 2 s
 * }</pre>
 *
 * <p>How: a GCRA (one {@code AtomicLong} holding the theoretical arrival time) debits permits in
 * small slices of at most {@link #sliceSize()} (about 1 ms of rate); the hot path spends permits
 * of the current slice from a second counter with one compare-and-set, reading no clock and
 * allocating nothing. Only when the slice is spent does a caller read the clock and take the next
 * slice. Permits sitting in a slice count against the burst (the GCRA's own burst is
 * {@code B - slice}), so admitted calls in any window w are at most {@code R*w + B}. Right after an
 * idle period between {@code B - slice} and {@code B} permits are available at once.
 */
public final class TokenBucket implements RateLimiter {

    /** Slices hold about this much of the rate, so a slice is refilled at most ~1000 times a second. */
    static final long SLICE_NANOS = 1_000_000L;
    /** Throttle hints are capped at one day. */
    static final long MAX_PAUSE_NANOS = 86_400_000_000_000L;

    private final String name;
    private final Ticker ticker;
    private final double rate;
    private final long burst;
    private final double nanosPerPermit;
    private final long slice;
    private final long tau;
    private final long maxRequest;
    private final EventPublisher events;

    /** Permits already debited from the GCRA and not yet spent: the hot path's only write. */
    private final AtomicLong permits = new AtomicLong();
    /** GCRA theoretical arrival time, ticker nanos. */
    private final AtomicLong tat;
    /** One refiller at a time, so the slice never holds more than {@link #slice}. */
    private final AtomicBoolean refilling = new AtomicBoolean();

    TokenBucket(String name, double rate, long burst, Ticker ticker, EventPublisher events) {
        this(name, rate, burst, ticker, events, false);
    }

    /** @param startEmpty no burst at creation (used for the leased bucket's fallback, which must not add one) */
    TokenBucket(String name, double rate, long burst, Ticker ticker, EventPublisher events, boolean startEmpty) {
        this.name = name;
        this.ticker = ticker;
        this.rate = rate;
        this.burst = burst;
        this.nanosPerPermit = 1e9 / rate;
        this.slice = Math.max(0, (long) Math.min(rate * SLICE_NANOS / 1e9, burst / 4));
        this.maxRequest = burst - slice;
        this.tau = (long) Math.floor(maxRequest * nanosPerPermit);
        this.events = events;
        long now = ticker.nanoTime();
        this.tat = new AtomicLong(startEmpty ? now + tau : now); // TAT <= now means full
    }

    public static TokenBucketBuilder builder(String name) {
        return new TokenBucketBuilder(name);
    }

    @Override
    public String name() {
        return name;
    }

    public double rate() {
        return rate;
    }

    public long burst() {
        return burst;
    }

    /** The most permits the hot path holds pre-debited. */
    public long sliceSize() {
        return slice;
    }

    /** The largest {@code n} {@link #reserve} and {@link #acquire} accept: {@code burst - sliceSize()}. */
    public long maxPermitsPerRequest() {
        return maxRequest;
    }

    public EventPublisher events() {
        return events;
    }

    @Override
    public boolean tryAcquire(int n) {
        AtomicLong p = permits;
        long cur = p.get();
        if (cur >= n && n > 0 && p.compareAndSet(cur, cur - n)) {
            return true;
        }
        return tryAcquireSlow(n);
    }

    private boolean tryAcquireSlow(int n) {
        if (n <= 0) {
            if (n == 0) {
                return true;
            }
            throw new IllegalArgumentException("permits must not be negative: " + n);
        }
        for (long cur = permits.get(); cur >= n; cur = permits.get()) { // lost a race on the slice
            if (permits.compareAndSet(cur, cur - n)) {
                return true;
            }
        }
        long now = ticker.nanoTime();
        if (slice == 0 || !refilling.compareAndSet(false, true)) {
            // Someone else refills: take exactly n straight from the GCRA (always safe).
            return n <= maxRequest && take(now, n, n) > 0;
        }
        try {
            long held = permits.getAndSet(0);
            if (held >= n) {
                permits.addAndGet(held - n);
                return true;
            }
            long need = n - held;
            long got = need <= maxRequest ? take(now, need, need + slice) : 0;
            if (got == 0) {
                permits.addAndGet(held);
                return false;
            }
            permits.addAndGet(got - need); // at most slice
            return true;
        } finally {
            refilling.set(false);
        }
    }

    /** Takes between {@code need} and {@code want} permits from the GCRA, or none (returns 0). */
    private long take(long now, long need, long want) {
        for (;;) {
            long t = tat.get();
            long base = Math.max(t, now);
            long avail = now + tau - base;
            if (avail < cost(need)) {
                return 0;
            }
            long k = Math.max(need, Math.min(want, (long) (avail / nanosPerPermit)));
            while (k > need && cost(k) > avail) {
                k--;
            }
            if (tat.compareAndSet(t, base + cost(k))) {
                return k;
            }
        }
    }

    private long cost(long n) {
        return (long) Math.ceil(n * nanosPerPermit);
    }

    /**
     * Takes {@code n} permits now, whether or not they are available yet, and says how long the
     * caller must wait before using them. Later callers queue behind.
     *
     * @return nanoseconds to wait (0 if the permits are available now)
     */
    public long reserve(int n) {
        checkRequest(n);
        long now = ticker.nanoTime();
        for (;;) {
            long t = tat.get();
            long next = Math.max(t, now) + cost(n);
            if (tat.compareAndSet(t, next)) {
                return Math.max(0, next - tau - now);
            }
        }
    }

    /**
     * The engine's non-blocking form: takes the permits now (0), or reserves them in the GCRA and
     * says how long to wait before using them, or {@link #NOT_WITHIN_WAIT} (nothing taken) when that
     * wait would exceed {@code maxWaitNanos}. Reservations queue in arrival order, like {@link #acquire}.
     */
    @Override
    public long reserve(int n, long maxWaitNanos) {
        if (tryAcquire(n)) {
            return 0L;
        }
        checkRequest(n);
        long max = Math.max(0, maxWaitNanos);
        long now = ticker.nanoTime();
        for (;;) {
            long t = tat.get();
            long next = Math.max(t, now) + cost(n);
            long wait = Math.max(0, next - tau - now);
            if (wait > max) {
                return NOT_WITHIN_WAIT;
            }
            if (tat.compareAndSet(t, next)) {
                return wait == 0 ? 0L : wait;
            }
        }
    }

    @Override
    public long acquire(int n, Duration timeout) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (tryAcquire(n)) {
            return 0;
        }
        checkRequest(n);
        long max = timeout.isNegative() ? 0 : saturatedNanos(timeout);
        long now = ticker.nanoTime();
        long next;
        long wait;
        for (;;) {
            long t = tat.get();
            next = Math.max(t, now) + cost(n);
            wait = Math.max(0, next - tau - now);
            if (wait > max) {
                return -1;
            }
            if (tat.compareAndSet(t, next)) {
                break;
            }
        }
        if (wait > 0) {
            try {
                ticker.sleepNanos(wait);
            } catch (InterruptedException e) {
                // Give the permits back only if nobody queued behind us (an exact undo); else they are forfeit,
                // which errs on the safe side.
                tat.compareAndSet(next, next - cost(n));
                throw e;
            }
            if (events.hasListeners()) {
                events.publish(new ResilienceEvent(EventType.THROTTLE_WAIT, name, ticker.epochMillis(), 0,
                    Duration.ofNanos(wait), "", null));
            }
        }
        return wait;
    }

    /** Admits nothing for {@code hint}; then admissions resume at rate R from an empty bucket. */
    @Override
    public void onThrottled(Duration hint) {
        if (hint == null || hint.isNegative() || hint.isZero()) {
            return;
        }
        long until = ticker.nanoTime() + Math.min(saturatedNanos(hint), MAX_PAUSE_NANOS);
        tat.accumulateAndGet(until + tau, Math::max);
        permits.set(0); // forfeit the slice: nothing may be admitted during the pause
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.THROTTLED, name, ticker.epochMillis(), 0, hint, "", null));
        }
    }

    /** Permits available right now (slice plus GCRA), for metrics and tests; reads the clock. */
    public long availablePermits() {
        long now = ticker.nanoTime();
        long avail = now + tau - Math.max(tat.get(), now);
        return permits.get() + Math.max(0, (long) (avail / nanosPerPermit));
    }

    private void checkRequest(int n) {
        if (n < 1 || n > maxRequest) {
            throw new IllegalArgumentException("permits must be between 1 and " + maxRequest + " for rate limiter '"
                + name + "' (burst " + burst + "), was " + n);
        }
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    @Override
    public String toString() {
        return "TokenBucket{" + name + ", rate=" + rate + "/s, burst=" + burst + '}';
    }
}
