package io.resiliencekit.ratelimit;

import io.resiliencekit.config.ConfigException;
import java.util.List;

import io.resiliencekit.spi.RateLimiter;

import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.ratelimit.internal.BucketLedger;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a global token bucket (rate R, burst B) owned by a {@link TokenAuthority}: one rate
 * for every JVM that shares the bucket's name.
 *
 * <pre>{@code
 * TokenAuthority authority = new JdbcTokenAuthority(dataSource, "quota", Ticker.system());
 * LeasedTokenBucket limiter = TokenBucket.builder("orders-api").rate(100).burst(100).buildLeased(authority);
 * if (limiter.tryAcquire(1)) { send(); }
 * }</pre>
 *
 * <p>The client spends tokens of its current lease from a local counter: the hot path is one
 * compare-and-set, no clock, no allocation, no remote call. In the background it asks for the next
 * lease before the current one runs out (when half of it is spent, or three quarters into its
 * term while still in use), sized from its measured demand (admitted plus refused permits per
 * second). Tokens not spent when the lease ends are dropped. At most one request is in flight and
 * requests are at least a quarter lease apart, so authority traffic per client depends on the
 * lease period, not on R.
 *
 * <p>When the authority cannot be reached, the client spends what is left of its lease, then
 * admits at the safe rate {@code R / max(knownClients, expectedClients)} (never unlimited), retries
 * the authority with backoff, and returns to leases as soon as it answers.
 */
public final class LeasedTokenBucket implements RateLimiter, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeasedTokenBucket.class);
    private static final long NONE = Long.MIN_VALUE;
    private static final long MAX_RETRY_NANOS = 2_000_000_000L;

    private final String name;
    private final String clientId;
    private final Ticker ticker;
    private final double rate;
    private final long burst;
    private final long leaseNanos;
    private final int expectedClients;
    private final TokenAuthority authority;
    private final LeaseScheduler scheduler;
    private final boolean ownsScheduler;
    private final EventPublisher events;

    // ---- hot path
    private final AtomicLong permits = new AtomicLong();
    private volatile long lowWater;
    private volatile boolean renewArmed = true;

    // ---- slow path and background (requests are serialised by inFlight; bookkeeping by `this`)
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong fallbackAdmitted = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean fallback;
    private volatile TokenBucket fallbackBucket;
    private volatile long pausedUntil = NONE;
    private volatile int knownClients;
    private volatile boolean closed;
    // set when the authority refuses this client's definition of the limiter (another rate or burst)
    private volatile String refusal;
    private long generation;
    private long grantedTotal;
    private long droppedTotal;
    private long lastRequestAt = NONE;
    private long lastDemandAt = NONE;
    private long lastAttempts;
    private double demand;
    private long activityMark;
    private int consecutiveFailures;

    LeasedTokenBucket(String name, String clientId, double rate, long burst, Duration leasePeriod, int expectedClients,
                      TokenAuthority authority, LeaseScheduler scheduler, boolean ownsScheduler, Ticker ticker,
                      EventPublisher events) {
        this.name = name;
        this.clientId = clientId;
        this.rate = rate;
        this.burst = burst;
        this.leaseNanos = BucketLedger.effectiveLeaseNanos(rate, burst, leasePeriod.toNanos());
        this.expectedClients = expectedClients;
        this.authority = authority;
        this.scheduler = scheduler;
        this.ownsScheduler = ownsScheduler;
        this.ticker = ticker;
        this.events = events;
        this.knownClients = expectedClients;
    }

    @Override
    public String name() {
        return name;
    }

    public String clientId() {
        return clientId;
    }

    public EventPublisher events() {
        return events;
    }

    @Override
    public boolean tryAcquire(int n) {
        AtomicLong p = permits;
        long cur = p.get();
        if (cur >= n && n > 0 && p.compareAndSet(cur, cur - n)) {
            if (cur - n < lowWater && renewArmed) {
                renewSoon();
            }
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
        for (long cur = permits.get(); cur >= n; cur = permits.get()) {
            if (permits.compareAndSet(cur, cur - n)) {
                return true;
            }
        }
        String conflict = refusal;
        if (conflict != null) {
            throw new ConfigException(List.of(conflict));
        }
        long now = ticker.nanoTime();
        long paused = pausedUntil;
        if (paused != NONE && now < paused) {
            refused.addAndGet(n);
            return false;
        }
        renewSoon();
        if (fallback) {
            TokenBucket fb = fallbackBucket;
            if (fb != null && fb.tryAcquire(n)) {
                fallbackAdmitted.addAndGet(n);
                return true;
            }
        }
        refused.addAndGet(n);
        return false;
    }

    /**
     * Waits for permits by polling the lease (or the safe rate) on the ticker: a leased bucket does
     * not know when its next tokens come, so it sleeps in short steps.
     */
    @Override
    public long acquire(int n, Duration timeout) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (tryAcquire(n)) {
            return 0;
        }
        if (n > burst) {
            throw new IllegalArgumentException("permits must be between 1 and " + burst + " for rate limiter '" + name
                + "', was " + n);
        }
        long start = ticker.nanoTime();
        long max = timeout.isNegative() ? 0 : TokenBucket.saturatedNanos(timeout);
        long step = Math.max(1_000_000L, Math.min(leaseNanos / 8, (long) (n * 1e9 / rate)));
        for (;;) {
            long waited = ticker.nanoTime() - start;
            if (waited >= max) {
                return -1;
            }
            ticker.sleepNanos(Math.min(step, max - waited));
            if (tryAcquire(n)) {
                long w = ticker.nanoTime() - start;
                if (events.hasListeners()) {
                    events.publish(new ResilienceEvent(EventType.THROTTLE_WAIT, name, ticker.epochMillis(), 0,
                        Duration.ofNanos(w), "", null));
                }
                return w;
            }
        }
    }

    /**
     * The engine's non-blocking form. A leased bucket does not know when its next tokens come, so it
     * never reserves: it takes a permit now (0) or says when to ask again (negative: a short step, or
     * the rest of a throttle pause).
     */
    @Override
    public long reserve(int n, long maxWaitNanos) {
        if (tryAcquire(n)) {
            return 0L;
        }
        if (n > burst) {
            throw new IllegalArgumentException("permits must be between 1 and " + burst + " for rate limiter '" + name
                + "', was " + n);
        }
        if (maxWaitNanos <= 0) {
            return NOT_WITHIN_WAIT;
        }
        long step = Math.max(1_000_000L, Math.min(leaseNanos / 8, (long) (n * 1e9 / rate)));
        long paused = pausedUntil;
        if (paused != NONE) {
            step = Math.max(step, paused - ticker.nanoTime());
        }
        return -Math.min(step, maxWaitNanos);
    }

    /** Pauses admissions for the hint in this JVM: drops the current lease and asks for none until the hint ends. */
    @Override
    public void onThrottled(Duration hint) {
        if (hint == null || hint.isNegative() || hint.isZero()) {
            return;
        }
        pausedUntil = ticker.nanoTime() + Math.min(TokenBucket.saturatedNanos(hint), TokenBucket.MAX_PAUSE_NANOS);
        long dropped = permits.getAndSet(0);
        synchronized (this) {
            droppedTotal += dropped;
        }
        TokenBucket fb = fallbackBucket;
        if (fb != null) {
            fb.onThrottled(hint);
        }
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.THROTTLED, name, ticker.epochMillis(), 0, hint, "", null));
        }
    }

    // ------------------------------------------------------------------ background

    private void renewSoon() {
        if (!closed && inFlight.compareAndSet(false, true)) {
            renewArmed = false;
            scheduler.execute(this::requestLease);
        }
    }

    /** Runs on the scheduler; {@code inFlight} is held by the caller and released here (or by a rescheduled run). */
    private void requestLease() {
        if (closed) {
            inFlight.set(false);
            return;
        }
        long ts = ticker.nanoTime();
        long paused = pausedUntil;
        if (paused != NONE && ts < paused) {
            scheduler.schedule(this::requestLease, paused - ts);
            return;
        }
        LeaseRequest request;
        synchronized (this) {
            long minInterval = leaseNanos / 4;
            if (lastRequestAt != NONE && ts - lastRequestAt < minInterval) {
                scheduler.schedule(this::requestLease, minInterval - (ts - lastRequestAt));
                return;
            }
            lastRequestAt = ts;
            long held = permits.get();
            double d = measureDemand(ts, held);
            // Hand back what demand will not use, so stale tokens do not keep capacity from other clients:
            // dropping locally is safe, the authority then counts only what we report.
            long keep = (long) Math.ceil(d * leaseNanos / 1e9 * 2) + 1;
            if (held > keep) {
                droppedTotal += dropUpTo(held - keep);
                held = permits.get();
            }
            long wanted = Math.max(1, (long) Math.ceil(d * leaseNanos / 1e9) - held);
            request = new LeaseRequest(name, clientId, rate, burst, leaseNanos, held, wanted, d);
        }
        LeaseResponse response;
        try {
            requests.incrementAndGet();
            response = authority.requestLease(request);
        } catch (RuntimeException e) {
            onFailure(ts, e);
            return;
        }
        onGrant(ts, response);
    }

    private long dropUpTo(long x) {
        for (;;) {
            long cur = permits.get();
            long take = Math.min(x, cur);
            if (take <= 0 || permits.compareAndSet(cur, cur - take)) {
                return Math.max(0, take);
            }
        }
    }

    private double measureDemand(long ts, long held) {
        long attempts = (grantedTotal - droppedTotal - held) + fallbackAdmitted.get() + refused.get();
        if (lastDemandAt == NONE) {
            // Nothing measured yet: ask for a modest part of a fair share; the next request (a quarter
            // lease later at most) is sized from what was actually used and refused.
            demand = rate / Math.max(knownClients, expectedClients) / 4;
        } else if (ts > lastDemandAt) {
            double inst = (attempts - lastAttempts) * 1e9 / (ts - lastDemandAt);
            demand = 0.3 * demand + 0.7 * inst;
        }
        lastAttempts = attempts;
        lastDemandAt = ts;
        return demand;
    }

    private void onGrant(long ts, LeaseResponse r) {
        if (r.refusal() != null) {
            // a definition conflict does not fix itself: every call fails with both definitions named
            refusal = r.refusal();
            LOG.error("rate limiter '{}': {}", name, r.refusal());
            inFlight.set(false);
            return;
        }
        long gen;
        long expiresAt = ts + r.leaseNanos(); // from when we asked: never later than the authority's expiry
        synchronized (this) {
            consecutiveFailures = 0;
            knownClients = r.knownClients();
            gen = ++generation;
            grantedTotal += r.grantedTokens();
            long now = ticker.nanoTime();
            long paused = pausedUntil;
            if (paused != NONE && now < paused) {
                droppedTotal += r.grantedTokens(); // no admissions during a throttle pause
            } else {
                long total = permits.addAndGet(r.grantedTokens());
                lowWater = Math.max(1, total / 2);
            }
            activityMark = attemptsNow();
            if (fallback) {
                fallback = false;
                LOG.info("rate limiter '{}': token authority answers again; back to leases", name);
            }
        }
        renewArmed = true;
        inFlight.set(false);
        long now = ticker.nanoTime();
        scheduler.schedule(() -> expire(gen), expiresAt - now);
        scheduler.schedule(() -> renewIfActive(gen), ts + r.leaseNanos() * 3 / 4 - now);
    }

    private long attemptsNow() {
        return grantedTotal - droppedTotal - permits.get() + fallbackAdmitted.get() + refused.get();
    }

    private void onFailure(long ts, RuntimeException e) {
        failures.incrementAndGet();
        long retry;
        synchronized (this) {
            consecutiveFailures++;
            if (!fallback) {
                int clients = Math.max(knownClients, expectedClients);
                double safe = rate / clients;
                long fbBurst = Math.max(1, (long) Math.floor(safe / 10));
                fallbackBucket = new TokenBucket(name + "-fallback", safe, fbBurst, ticker, events, true);
                fallback = true;
                LOG.warn("rate limiter '{}': token authority unreachable ({}: {}); admitting at the safe rate {}/s "
                    + "(R / {} clients) until it answers", name, e.getClass().getSimpleName(), e.getMessage(), safe, clients);
            }
            retry = Math.min(MAX_RETRY_NANOS, (leaseNanos / 2) << Math.min(consecutiveFailures - 1, 4));
        }
        // inFlight stays held: the retry is the one request in flight.
        scheduler.schedule(this::requestLease, retry);
    }

    private void expire(long gen) {
        synchronized (this) {
            if (gen != generation) {
                return; // a newer lease extended the term
            }
            droppedTotal += permits.getAndSet(0);
        }
    }

    private void renewIfActive(long gen) {
        boolean active;
        synchronized (this) {
            active = gen == generation && attemptsNow() != activityMark;
        }
        if (active) {
            renewSoon();
        }
    }

    // ------------------------------------------------------------------ observability

    /** Requests made to the authority so far (successful or not). */
    public long authorityRequests() {
        return requests.get();
    }

    /** Permits refused so far (part of the measured demand). */
    public long refusedPermits() {
        return refused.get();
    }

    public long authorityFailures() {
        return failures.get();
    }

    /** True while the authority is unreachable and the client admits at the safe rate. */
    public boolean inFallback() {
        return fallback;
    }

    /** Tokens of the current lease not yet spent. */
    public long leasedPermits() {
        return permits.get();
    }

    /** Lease length in use (the configured period, shortened so leases fit in half the burst). */
    public Duration leasePeriod() {
        return Duration.ofNanos(leaseNanos);
    }

    public int knownClients() {
        return knownClients;
    }

    /** Stops asking for leases; tokens in hand stay usable until they expire. Does not close the authority. */
    @Override
    public void close() {
        closed = true;
        if (ownsScheduler) {
            scheduler.close();
        }
    }

    @Override
    public String toString() {
        return "LeasedTokenBucket{" + name + ", client=" + clientId + ", rate=" + rate + "/s, burst=" + burst
            + ", lease=" + Duration.ofNanos(leaseNanos) + (fallback ? ", FALLBACK" : "") + '}';
    }
}
