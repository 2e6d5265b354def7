package io.resiliencekit.spark.ratelimit;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.spark.DriverServices;
import io.resiliencekit.spark.PluginOptions;
import io.resiliencekit.spark.ratelimit.LeaseMessages.Lease;
import io.resiliencekit.spark.ratelimit.LeaseMessages.LeaseRequest;
import io.resiliencekit.time.Ticker;

/**
 * The driver-hosted token authority of {@link io.resiliencekit.spark.ResiliencePlugin}: one global
 * token bucket (rate R, burst B) per limiter name, handed out to executors as short leases.
 *
 * <p>Why the bound holds: tokens are debited when granted, and the bucket's level plus every
 * client's unspent, unexpired lease tokens never exceeds B (refill stops at that cap). A call
 * spends a token that was either in a lease or in the bucket at the window's start (at most B
 * together) or was refilled during the window (at most R*w), so admitted calls in any window w
 * never exceed {@code R*w + B}, however many executors share the limiter. Clients report their
 * unspent tokens with every request and stop spending a lease when it lapses, so the cap follows
 * what is really outstanding.
 *
 * <pre>{@code
 * // on the driver, after the plugin started:
 * DriverTokenAuthority.driverAuthority().orElseThrow().stats("orders-api").granted();
 * }</pre>
 */
public final class DriverTokenAuthority {

    private static final Logger LOG = LoggerFactory.getLogger(DriverTokenAuthority.class);

    /** How long a lease may be spent; short, so lapsed leases give their share back quickly. */
    static final long LEASE_NANOS = 250_000_000L;

    private static volatile DriverTokenAuthority current;

    private final Ticker ticker;
    private final Map<String, PluginOptions.LimiterSpec> configured;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Counter granted;
    private final Counter refused;
    private final MetricRegistry metrics;

    public DriverTokenAuthority(PluginOptions options, Ticker ticker, MetricRegistry metrics) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.configured = options.limiters();
        this.granted = metrics.counter("tokens.granted");
        this.refused = metrics.counter("tokens.refused");
        this.metrics = metrics;
        metrics.register("tokens.limiters", (Gauge<Integer>) buckets::size);
    }

    /** Registers the lease service with the plugin and makes it {@link #driverAuthority()}. */
    public static DriverTokenAuthority install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverTokenAuthority a = new DriverTokenAuthority(options, ticker, services.metrics());
        services.register(LeaseMessages.LEASE, a::lease);
        current = a;
        return a;
    }

    public static void uninstall(DriverTokenAuthority a) {
        if (current == a) {
            current = null;
        }
    }

    /** The authority of the plugin running in this (driver) JVM, if any. */
    public static Optional<DriverTokenAuthority> driverAuthority() {
        return Optional.ofNullable(current);
    }

    /** Grants up to {@code r.wanted} tokens to executor {@code caller}. */
    public Lease lease(String caller, LeaseRequest r) {
        Bucket b = buckets.computeIfAbsent(r.limiter, n -> {
            Bucket nb = newBucket(r);
            try {
                metrics.register("limiter." + n + ".granted", (Gauge<Long>) () -> nb.stats().granted());
            } catch (IllegalArgumentException alreadyThere) {
                // registered by an earlier authority in this JVM (tests)
            }
            return nb;
        });
        Lease l = b.lease(caller, r, ticker.nanoTime());
        if (l.granted > 0) {
            granted.inc(l.granted);
        } else {
            refused.inc();
        }
        return l;
    }

    /** Totals for one limiter; zeros for one never asked for. */
    public Stats stats(String limiter) {
        Bucket b = buckets.get(limiter);
        return b == null ? new Stats(0, 0, 0) : b.stats();
    }

    private Bucket newBucket(LeaseRequest r) {
        PluginOptions.LimiterSpec spec = configured.get(r.limiter);
        if (spec != null) {
            if (spec.ratePerSecond() != r.ratePerSecond || spec.burst() != r.burst) {
                LOG.warn("limiter '{}': the Spark configuration ({}) overrides the policy's rate {}/s burst {}",
                        r.limiter, spec, r.ratePerSecond, r.burst);
            }
            return new Bucket(spec.ratePerSecond(), spec.burst(), ticker.nanoTime());
        }
        if (!(r.ratePerSecond > 0) || r.burst < 1) {
            throw new IllegalArgumentException("limiter '" + r.limiter + "' needs a positive rate and burst, got rate "
                    + r.ratePerSecond + " burst " + r.burst);
        }
        return new Bucket(r.ratePerSecond, r.burst, ticker.nanoTime());
    }

    /** One global bucket; all state under its monitor (a few arithmetic operations per lease). */
    private static final class Bucket {
        final double rate;
        final long burst;
        final double nanosPerToken;
        double level;
        long refilledAt;
        long grantedTotal;
        long requests;
        final Map<String, Holding> holdings = new HashMap<>();

        Bucket(double rate, long burst, long now) {
            this.rate = rate;
            this.burst = burst;
            this.nanosPerToken = 1e9 / rate;
            this.level = burst;
            this.refilledAt = now;
        }

        synchronized Lease lease(String caller, LeaseRequest r, long now) {
            requests++;
            long outstanding = 0;
            for (Iterator<Map.Entry<String, Holding>> it = holdings.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Holding> e = it.next();
                if (now - e.getValue().expiresAt >= 0) {
                    it.remove(); // lapsed: the client no longer spends these tokens
                } else if (!e.getKey().equals(caller)) {
                    outstanding += e.getValue().unspent;
                }
            }
            // the caller's own report replaces what we thought it held; clamp a bogus report
            long mine = Math.max(0, Math.min(r.unspent, burst));
            outstanding += mine;
            double cap = Math.max(0, burst - outstanding);
            level = Math.min(cap, level + (now - refilledAt) / nanosPerToken);
            refilledAt = now;
            int g = (int) Math.min(Math.max(0, r.wanted), Math.floor(level));
            level -= g;
            grantedTotal += g;
            holdings.put(caller, new Holding(mine + g, now + LEASE_NANOS));
            long retryAfter = 0;
            if (g == 0) {
                double missing = 1 - level;
                retryAfter = outstanding >= burst ? LEASE_NANOS / 4 : (long) Math.ceil(Math.max(0, missing) * nanosPerToken);
            }
            return new Lease(g, LEASE_NANOS, retryAfter, Math.max(1, holdings.size()), rate, burst);
        }

        synchronized Stats stats() {
            return new Stats(grantedTotal, requests, holdings.size());
        }
    }

    private static final class Holding {
        final long unspent;
        final long expiresAt;

        Holding(long unspent, long expiresAt) {
            this.unspent = unspent;
            this.expiresAt = expiresAt;
        }
    }

    /** Totals of one limiter on the driver. */
    public static final class Stats {
        private final long granted;
        private final long requests;
        private final int activeClients;

        Stats(long granted, long requests, int activeClients) {
            this.granted = granted;
            this.requests = requests;
            this.activeClients = activeClients;
        }

        public long granted() { return granted; }
        public long requests() { return requests; }
        public int activeClients() { return activeClients; }

        @Override
        public String toString() {
            return "granted=" + granted + " requests=" + requests + " activeClients=" + activeClients;
        }
    }
}
