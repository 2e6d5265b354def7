package io.resiliencekit.ratelimit;

import io.resiliencekit.ratelimit.internal.BucketLedger;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.time.Ticker;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token authority in this JVM's memory: for tests, single-JVM use, and as the engine of remote
 * authorities (the Spark driver hosts one and forwards {@link LeaseRequest}s to it).
 *
 * <pre>{@code
 * InProcessTokenAuthority authority = new InProcessTokenAuthority(Ticker.system());
 * LeasedTokenBucket a = TokenBucket.builder("api").rate(100).buildLeased(authority);
 * LeasedTokenBucket b = TokenBucket.builder("api").rate(100).buildLeased(authority); // shares R with a
 * }</pre>
 *
 * <p>One lock per bucket, so buckets do not wait for each other; a request costs about a
 * microsecond whatever the number of clients (see {@link BucketLedger}). Once a second at most, a
 * request also sweeps the buckets: clients silent for the known-client TTL are forgotten, and a
 * bucket that nobody uses any more, holds nothing and has refilled is dropped (one defined with
 * {@link #define} keeps its definition).
 */
public final class InProcessTokenAuthority implements TokenAuthority {

    private static final long SWEEP_NANOS = 1_000_000_000L;

    private final Ticker ticker;
    private final ConcurrentHashMap<String, Entry> buckets = new ConcurrentHashMap<>();
    private final AtomicLong nextSweep = new AtomicLong(Long.MIN_VALUE);

    /** A bucket's ledger and whether the authority's configuration defined it (then it is never dropped). */
    private static final class Entry {
        final BucketLedger ledger = new BucketLedger();
        boolean configured;
        boolean dropped; // swept away: a request that found this entry looks again
    }

    public InProcessTokenAuthority(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /**
     * Defines (or redefines) the named bucket's rate and burst: the authority owns them, and clients
     * that declare another rate or burst are refused.
     */
    public void define(String bucket, double rate, long burst) {
        define(bucket, rate, burst, false);
    }

    /**
     * As {@link #define(String, double, long)}; with {@code adaptive} the bucket runs {@code rate=auto}
     * up to {@code rate} ({@link BucketLedger#UNBOUNDED_RATE} for no ceiling; burst 0 for one second of
     * the current rate).
     */
    public void define(String bucket, double rate, long burst, boolean adaptive) {
        for (;;) {
            Entry e = buckets.computeIfAbsent(bucket, k -> new Entry());
            synchronized (e) {
                if (!e.dropped) {
                    e.configured = true;
                    e.ledger.define(rate, burst, adaptive);
                    return;
                }
            }
        }
    }

    @Override
    public LeaseResponse requestLease(LeaseRequest request) {
        long now = ticker.nanoTime();
        sweepIfDue(now);
        for (;;) {
            Entry e = buckets.computeIfAbsent(request.bucket(), k -> new Entry());
            synchronized (e) {
                if (!e.dropped) {
                    return e.ledger.grant(request, now);
                }
            }
        }
    }

    private void sweepIfDue(long now) {
        long due = nextSweep.get();
        if (due != Long.MIN_VALUE && now - due < 0 || !nextSweep.compareAndSet(due, now + SWEEP_NANOS)) {
            return;
        }
        buckets.forEach((name, e) -> {
            synchronized (e) {
                e.ledger.expire(now);
                if (!e.configured && e.ledger.isIdle(now)) {
                    e.dropped = true;
                    buckets.remove(name, e);
                }
            }
        });
    }

    /**
     * Forgets, in every bucket, the clients whose ids {@code gone} accepts, because their process is
     * known to have ended (Spark removed the executor): the fallback rate kept aside for them is
     * released at once instead of when their fallback could have ended (see
     * {@link BucketLedger#forget}). Never call it for a client that may still run (a silent or
     * partitioned one): its fallback admissions would then go above {@code R*w + B}.
     *
     * @return how many clients were forgotten, summed over the buckets
     */
    public int forgetClients(java.util.function.Predicate<String> gone) {
        long now = ticker.nanoTime();
        int n = 0;
        for (Entry e : buckets.values()) {
            synchronized (e) {
                if (!e.dropped) {
                    n += e.ledger.forgetAll(gone, now);
                }
            }
        }
        return n;
    }

    /** Tokens available in the named bucket right now (without refilling), or -1 if unknown; for tests and metrics. */
    public double level(String bucket) {
        return read(bucket, BucketLedger::level);
    }

    /** The rate the named bucket grants at now (its R, or where {@code rate=auto} has got to), or -1 if unknown. */
    public double currentRate(String bucket) {
        return read(bucket, BucketLedger::currentRate);
    }

    private double read(String bucket, java.util.function.ToDoubleFunction<BucketLedger> what) {
        Entry e = buckets.get(bucket);
        if (e == null) {
            return -1;
        }
        synchronized (e) {
            return what.applyAsDouble(e.ledger);
        }
    }

    /** Buckets held now (dropped ones not counted); for tests and metrics. */
    public int bucketCount() {
        return buckets.size();
    }

    @Override
    public String toString() {
        return "InProcessTokenAuthority" + buckets.keySet();
    }
}
