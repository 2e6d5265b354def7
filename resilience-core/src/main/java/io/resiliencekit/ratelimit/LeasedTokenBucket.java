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
import io.resiliencekit.spi.ThrottleSignal;
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
 * admits at its fallback rate (never unlimited), retries the authority with backoff, and returns to
 * leases as soon as it answers. The fallback rate is the one the authority keeps aside for it
 * ({@link LeaseResponse#fallbackRate()}, its part of {@code R / knownClients}), from a quarter lease
 * after its lease has ended until {@link LeaseResponse#fallbackNanos()} after its last answer;
 * then it admits nothing until the authority answers. A client that told the authority it went
 * idle (it does when a lease ends unused), or that never reached it, admits at the safe rate
 * {@code R / max(knownClients, expectedClients)}.
 *
 * <p>A throttle answer from the service ({@link #onThrottled}) is reported to the authority at once
 * (unless the limiter's throttle scope is {@code jvm}), so the authority slows or pauses grants for
 * every client of the bucket; other clients learn of it with their next lease.
 */
public final class LeasedTokenBucket implements RateLimiter, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LeasedTokenBucket.class);
    private static final long NONE = Long.MIN_VALUE;
    private static final long MAX_RETRY_NANOS = 2_000_000_000L;

    private final String name;
    private final String clientId;
    private final Ticker ticker;
    private final double rate;      // R, or the ceiling of rate=auto
    private final long burst;       // 0 with rate=auto: one second of the current rate
    private final boolean adaptive;
    private final boolean reportThrottles;
    private final long requestedLeaseNanos;
    private volatile long leaseNanos;
    private volatile double currentRate; // R, or what the authority grants at now
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
    private volatile double fallbackRate; // the fallback bucket's rate, made when the fallback window opens
    private volatile long pausedUntil = NONE;
    private volatile int knownClients;
    private volatile boolean closed;
    // set when the authority refuses this client's definition of the limiter (another rate or burst)
    private volatile String refusal;
    private long generation;
    private long grantedTotal;
    private long droppedTotal;
    private long lastRequestAt = NONE;
    // smoothed time a lease request takes to be answered: the renewal goes out that much earlier
    // (twice it), so the next lease arrives before this one lapses instead of leaving a gap each term
    private volatile long roundTripNanos;
    private long lastDemandAt = NONE;
    private long lastAttempts;
    private double demand;
    private long activityMark;
    // attempts when the last request went out: a renewal is due if the client was busy since it asked
    // (with a slow authority the renewal time may come as soon as the answer does, before any use of it)
    private long requestMark;
    private int consecutiveFailures;
    // throttle answers not yet reported to the authority
    private ThrottleSignal pendingThrottle;
    // what the last answer said about falling back (bookkeeping by `this`)
    private boolean answered;        // the authority has answered at least once
    private boolean idleAcked;       // ... and that answer was to our notice that we went idle
    private volatile long fallbackFrom = NONE;  // fallback admissions not before (our lease has ended by then)
    private volatile long fallbackUntil = NONE; // nor after (the authority keeps our fallback aside until then)
    private double reservedFallback;
    private volatile boolean fallbackEnded;

    LeasedTokenBucket(String name, String clientId, double rate, long burst, Duration leasePeriod, int expectedClients,
                      TokenAuthority authority, LeaseScheduler scheduler, boolean ownsScheduler, Ticker ticker,
                      EventPublisher events) {
        this(name, clientId, rate, burst, false, true, leasePeriod, expectedClients, authority, scheduler, ownsScheduler,
            ticker, events);
    }

    LeasedTokenBucket(String name, String clientId, double rate, long burst, boolean adaptive, boolean reportThrottles,
                      Duration leasePeriod, int expectedClients, TokenAuthority authority, LeaseScheduler scheduler,
                      boolean ownsScheduler, Ticker ticker, EventPublisher events) {
        this.name = name;
        this.clientId = clientId;
        this.rate = rate;
        this.burst = burst;
        this.adaptive = adaptive;
        this.reportThrottles = reportThrottles || adaptive;
        this.currentRate = adaptive ? BucketLedger.initialAdaptiveRate(rate) : rate;
        this.requestedLeaseNanos = leasePeriod.toNanos();
        this.leaseNanos = BucketLedger.effectiveLeaseNanos(currentRate, burstAt(currentRate), requestedLeaseNanos);
        this.expectedClients = expectedClients;
        this.authority = authority;
        this.scheduler = scheduler;
        this.ownsScheduler = ownsScheduler;
        this.ticker = ticker;
        this.events = events;
        this.knownClients = expectedClients;
    }

    private long burstAt(double r) {
        return burst > 0 ? burst : Math.max(1, (long) Math.ceil(r));
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
        if (fallback && fallbackOpen(now)) {
            TokenBucket fb = fallbackBucket;
            if (fb == null) {
                fb = openFallback();
            }
            if (fb != null && fb.tryAcquire(n)) {
                fallbackAdmitted.addAndGet(n);
                return true;
            }
        }
        refused.addAndGet(n);
        return false;
    }

    /** The fallback bucket, made (empty) when first used, so it brings no burst saved up while the lease ran out. */
    private synchronized TokenBucket openFallback() {
        if (!fallback) {
            return null;
        }
        if (fallbackBucket == null) {
            double safe = fallbackRate;
            fallbackBucket = new TokenBucket(name + "-fallback", Math.max(1e-9, safe), BucketLedger.fallbackBurstOf(safe),
                ticker, events, true);
        }
        return fallbackBucket;
    }

    /** Inside the window in which the authority keeps our fallback aside (or, with no such promise, always). */
    private boolean fallbackOpen(long now) {
        long from = fallbackFrom;
        long until = fallbackUntil;
        if (from != NONE && now < from) {
            return false;
        }
        if (until != NONE && now >= until) {
            if (!fallbackEnded) {
                fallbackEnded = true;
                LOG.warn("rate limiter '{}': token authority unreachable for longer than its fallback lasts; admitting"
                    + " nothing until it answers", name);
            }
            return false;
        }
        return true;
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
        checkPermits(n);
        long start = ticker.nanoTime();
        long max = timeout.isNegative() ? 0 : TokenBucket.saturatedNanos(timeout);
        long step = pollStep(n);
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
        checkPermits(n);
        if (maxWaitNanos <= 0) {
            return NOT_WITHIN_WAIT;
        }
        long step = pollStep(n);
        long paused = pausedUntil;
        if (paused != NONE) {
            step = Math.max(step, paused - ticker.nanoTime());
        }
        return -Math.min(step, maxWaitNanos);
    }

    private void checkPermits(int n) {
        long b = burst > 0 ? burst : burstAt(currentRate);
        if (n > b) {
            throw new IllegalArgumentException("permits must be between 1 and " + b + " for rate limiter '" + name
                + "', was " + n);
        }
    }

    private long pollStep(int n) {
        return Math.max(1_000_000L, Math.min(leaseNanos / 8, (long) (n * 1e9 / currentRate)));
    }

    /**
     * The service answered "slow down" ({@code hint} zero when it said for how long nowhere). This
     * JVM drops its lease; with a hint and a fixed rate it admits nothing until the hint ends. Unless
     * the throttle scope is {@code jvm}, the authority hears of it at once and slows (a cut of the
     * rate, climbing back) or, with a hint and a fixed rate, pauses grants for every client.
     */
    @Override
    public void onThrottled(Duration hint) {
        long h = hint == null || hint.isNegative() ? 0 : Math.min(TokenBucket.saturatedNanos(hint), TokenBucket.MAX_PAUSE_NANOS);
        if (h == 0 && !reportThrottles) {
            return; // no hint and nobody to tell: nothing this JVM can do with it
        }
        if (h > 0 && !adaptive) {
            pausedUntil = ticker.nanoTime() + h;
        }
        long dropped = permits.getAndSet(0);
        synchronized (this) {
            droppedTotal += dropped;
            if (reportThrottles) {
                ThrottleSignal s = new ThrottleSignal(h, 1);
                pendingThrottle = pendingThrottle == null ? s : pendingThrottle.merge(s);
            }
        }
        if (h > 0 && !adaptive) {
            TokenBucket fb = fallbackBucket;
            if (fb != null) {
                fb.onThrottled(hint);
            }
        }
        if (reportThrottles) {
            renewSoon(); // the report goes now, not with the next lease
        }
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.THROTTLED, name, ticker.epochMillis(), 0,
                Duration.ofNanos(h), "", null));
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
        requestLease(false);
    }

    private void requestLease(boolean idle) {
        if (closed) {
            inFlight.set(false);
            return;
        }
        long ts = ticker.nanoTime();
        long paused = pausedUntil;
        LeaseRequest request;
        synchronized (this) {
            boolean report = pendingThrottle != null; // a throttle report goes at once, paused or not
            if (!report && paused != NONE && ts < paused) {
                scheduler.schedule(this::requestLease, paused - ts);
                return;
            }
            long minInterval = leaseNanos / 4;
            if (!report && !idle && lastRequestAt != NONE && ts - lastRequestAt < minInterval) {
                scheduler.schedule(this::requestLease, minInterval - (ts - lastRequestAt));
                return;
            }
            if (idle && (report || permits.get() > 0 || attemptsNow() != activityMark)) {
                idle = false; // busy again since: an ordinary request
            }
            lastRequestAt = ts;
            requestMark = attemptsNow();
            long held = permits.get();
            double d = measureDemand(ts, held);
            // Hand back what demand will not use, so stale tokens do not keep capacity from other clients:
            // dropping locally is safe, the authority then counts only what we report.
            long keep = (long) Math.ceil(d * leaseNanos / 1e9 * 2) + 1;
            if (held > keep) {
                droppedTotal += dropUpTo(held - keep);
                held = permits.get();
            }
            long wanted = idle ? 0 : Math.max(1, (long) Math.ceil(d * leaseNanos / 1e9) - held);
            request = new LeaseRequest(name, clientId, rate, burst, adaptive ? requestedLeaseNanos : leaseNanos, held,
                wanted, idle ? 0 : d, adaptive, pendingThrottle, idle && held == 0);
            pendingThrottle = null;
        }
        LeaseResponse response;
        try {
            requests.incrementAndGet();
            response = authority.requestLease(request);
            long rtt = ticker.nanoTime() - ts;
            long prev = roundTripNanos;
            roundTripNanos = prev == 0 ? rtt : (3 * prev + rtt) / 4;
        } catch (RuntimeException e) {
            synchronized (this) {
                if (request.throttle() != null) {
                    pendingThrottle = request.throttle().merge(pendingThrottle); // report it when the authority answers
                }
            }
            onFailure(ts, e);
            return;
        }
        onGrant(ts, response, request.idle());
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

    private void onGrant(long ts, LeaseResponse r, boolean idleNotice) {
        if (r.refusal() != null) {
            // a definition conflict does not fix itself: every call fails with both definitions named
            refusal = r.refusal();
            LOG.error("rate limiter '{}': {}", name, r.refusal());
            inFlight.set(false);
            return;
        }
        long gen;
        long expiresAt = ts + r.leaseNanos(); // from when we asked: never later than the authority's expiry
        boolean again;
        synchronized (this) {
            consecutiveFailures = 0;
            knownClients = r.knownClients();
            if (r.rate() > 0) {
                currentRate = r.rate();
            }
            leaseNanos = adaptive ? r.leaseNanos() : leaseNanos;
            gen = ++generation;
            grantedTotal += r.grantedTokens();
            long now = ticker.nanoTime();
            answered = true;
            idleAcked = idleNotice;
            reservedFallback = r.fallbackRate();
            // Our fallback may begin only once our lease has ended, as the authority sees it (counted from when
            // its answer reached us, which is after it granted), plus its grace; and ends where it stops keeping
            // it aside (counted from when we asked, which is before it answered).
            fallbackFrom = r.fallbackNanos() == 0 || idleNotice ? NONE
                : now + r.leaseNanos() + BucketLedger.graceNanos(r.leaseNanos());
            fallbackUntil = r.fallbackNanos() == 0 ? NONE : ts + r.fallbackNanos();
            fallbackEnded = false;
            if (r.pauseNanos() > 0) {
                // another client's throttle: the whole bucket waits, from when we heard of it
                long until = now + r.pauseNanos();
                if (pausedUntil == NONE || until > pausedUntil) {
                    pausedUntil = until;
                }
                droppedTotal += permits.getAndSet(0);
            }
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
            again = pendingThrottle != null;
        }
        renewArmed = true;
        inFlight.set(false);
        if (again) {
            renewSoon(); // a throttle answer arrived while we asked: report it now
        }
        if (idleNotice) {
            return; // no lease to spend or expire
        }
        long now = ticker.nanoTime();
        scheduler.schedule(() -> expire(gen), expiresAt - now);
        scheduler.schedule(() -> renewIfActive(gen), ts + r.leaseNanos() - renewalLead(r.leaseNanos()) - now);
    }

    /**
     * How long before the lease lapses its renewal goes out: a quarter of the lease, or twice the
     * measured round trip to the authority when that is longer (at most three quarters), so a slow
     * authority (a loaded driver, a remote database) does not leave every lease's last part unused.
     */
    long renewalLead(long leaseNanos) {
        return Math.min(leaseNanos * 3 / 4, Math.max(leaseNanos / 4, 2 * roundTripNanos));
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
                double safe = currentRate / clients;
                // the authority keeps our fallback aside (unless we told it we went idle): no more than that
                boolean reserved = answered && !idleAcked && fallbackUntil != NONE;
                if (reserved) {
                    safe = Math.min(safe, reservedFallback);
                }
                fallbackRate = safe;
                fallbackBucket = null;
                fallback = true;
                LOG.warn("rate limiter '{}': token authority unreachable ({}: {}); admitting at the {} rate {}/s "
                    + "(R / {} clients) until it answers", name, e.getClass().getSimpleName(), e.getMessage(),
                    reserved ? "fallback" : "safe", safe, clients);
            }
            retry = Math.min(MAX_RETRY_NANOS, (leaseNanos / 2) << Math.min(consecutiveFailures - 1, 4));
        }
        // inFlight stays held: the retry is the one request in flight.
        scheduler.schedule(this::requestLease, retry);
    }

    private void expire(long gen) {
        boolean unused;
        synchronized (this) {
            if (gen != generation) {
                return; // a newer lease extended the term
            }
            droppedTotal += permits.getAndSet(0);
            unused = attemptsNow() == activityMark;
        }
        // A lease that ended unused: tell the authority we went idle, so it need not keep our fallback aside.
        if (unused && !closed && inFlight.compareAndSet(false, true)) {
            renewArmed = false;
            scheduler.execute(() -> requestLease(true));
        }
    }

    private void renewIfActive(long gen) {
        boolean active;
        synchronized (this) {
            active = gen == generation && attemptsNow() != requestMark;
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

    /** The rate the bucket grants at now, as the authority last said: R, or where {@code rate=auto} has got to. */
    public double currentRate() {
        return currentRate;
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
        return "LeasedTokenBucket{" + name + ", client=" + clientId + ", rate=" + (adaptive ? "auto(" + currentRate + ")"
            : rate) + "/s, burst=" + burst
            + ", lease=" + Duration.ofNanos(leaseNanos) + (fallback ? ", FALLBACK" : "") + '}';
    }
}
