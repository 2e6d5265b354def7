package io.resiliencekit.spark.ratelimit;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.ratelimit.InProcessTokenAuthority;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.cluster.ServiceKey;
import io.resiliencekit.time.Ticker;

/**
 * The driver-hosted token authority of {@link io.resiliencekit.spark.ResiliencePlugin}: executors'
 * {@link io.resiliencekit.ratelimit.LeasedTokenBucket}s send their {@link LeaseRequest}s here over
 * Spark's RPC ({@link SparkTokenAuthority}), and an {@link InProcessTokenAuthority} on the driver
 * grants them, so admitted calls of every executor together never exceed {@code R*w + B}. The
 * arithmetic is the in-process authority's; this class only hosts it, defines the limits set in
 * the Spark configuration ({@code spark.resiliencekit.limiter.<name>.rate/burst}: executors that
 * declare another rate or burst for that name are refused, with both named) and counts grants for
 * Spark's metrics system.
 *
 * <p>Metrics: {@code tokens.granted}, {@code tokens.requests} (counters), {@code tokens.limiters}
 * and {@code limiter.<name>.granted} (gauges).
 *
 * <pre>{@code
 * ResilienceCluster.driverServices().component(DriverTokenAuthority.class).orElseThrow().granted("orders-api");
 * }</pre>
 */
public final class DriverTokenAuthority {

    private static final Logger LOG = LoggerFactory.getLogger(DriverTokenAuthority.class);

    /** The lease service executors call. */
    public static final ServiceKey<LeaseRequest, LeaseResponse> LEASE =
            ServiceKey.of("resiliencekit.ratelimit.lease", LeaseRequest.class, LeaseResponse.class);

    private final InProcessTokenAuthority authority;
    private final Map<String, PluginOptions.LimiterSpec> configured;
    private final Map<String, AtomicLong> grantedByLimiter = new ConcurrentHashMap<>();
    private final MetricRegistry metrics;
    private final java.util.Set<String> refusedLogged = ConcurrentHashMap.newKeySet();
    private final Counter granted;
    private final Counter requests;

    public DriverTokenAuthority(PluginOptions options, Ticker ticker, MetricRegistry metrics) {
        this.authority = new InProcessTokenAuthority(Objects.requireNonNull(ticker, "ticker"));
        this.configured = options.limiters();
        // the Spark configuration defines these limiters: executors declaring another rate are refused
        configured.values().forEach(l -> authority.define(l.name(), l.ratePerSecond(), l.burst(), l.adaptive()));
        this.metrics = metrics;
        this.granted = metrics.counter("tokens.granted");
        this.requests = metrics.counter("tokens.requests");
        metrics.register("tokens.limiters", (Gauge<Integer>) grantedByLimiter::size);
    }

    /** Registers the lease service with the plugin; driver code finds it as {@code services.component(DriverTokenAuthority.class)}. */
    public static DriverTokenAuthority install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverTokenAuthority a = new DriverTokenAuthority(options, ticker, services.metrics());
        services.register(LEASE, (caller, r) -> a.requestLease(r));
        services.attach(DriverTokenAuthority.class, a);
        return a;
    }

    /** Closes the authority (plugin shutdown). */
    public void close() {
        authority.close();
    }

    /** Grants one lease; see the class comment. */
    public LeaseResponse requestLease(LeaseRequest r) {
        LeaseResponse resp = authority.requestLease(r);
        if (resp.refusal() != null && refusedLogged.add(r.bucket() + "|" + r.rate() + "|" + r.burst())) {
            LOG.warn("{} (the Spark configuration defines {})", resp.refusal(),
                    configured.containsKey(r.bucket()) ? configured.get(r.bucket()) : "no limiter of that name");
        }
        requests.inc();
        granted.inc(resp.grantedTokens());
        counter(r.bucket()).addAndGet(resp.grantedTokens());
        return resp;
    }

    /** The client id an executor's limiters lease under (one per executor JVM). */
    public static String clientIdOf(String executorId, long pid) {
        return clientIdPrefixOf(executorId) + pid;
    }

    /** What every client id of {@code executorId} starts with, whatever its JVM's pid. */
    private static String clientIdPrefixOf(String executorId) {
        return "executor-" + executorId + "@";
    }

    /**
     * Forgets every limiter client of an executor Spark has removed, so the fallback rate kept
     * aside for it (up to a minute, in case it still admits while cut off) goes back to the
     * executors still running at once. Call it only for an executor whose process is gone.
     *
     * @return how many clients were forgotten, summed over the limiters
     */
    public int releaseClientsOf(String executorId) {
        String prefix = clientIdPrefixOf(executorId);
        return authority.forgetClients(id -> id.startsWith(prefix));
    }

    /** Tokens granted so far for {@code limiter} (0 if never asked for). */
    public long granted(String limiter) {
        AtomicLong c = grantedByLimiter.get(limiter);
        return c == null ? 0 : c.get();
    }

    /** Tokens available in the global bucket now, or -1 if unknown. */
    public double level(String limiter) {
        return authority.level(limiter);
    }

    /** The rate the limiter grants at now (its R, lower after throttle answers, or where {@code rate=auto} has got to), or -1. */
    public double currentRate(String limiter) {
        return authority.currentRate(limiter);
    }

    private AtomicLong counter(String limiter) {
        return grantedByLimiter.computeIfAbsent(limiter, n -> {
            AtomicLong c = new AtomicLong();
            try {
                metrics.register("limiter." + n + ".granted", (Gauge<Long>) c::get);
            } catch (IllegalArgumentException alreadyThere) {
                // registered by an earlier authority in this JVM (tests)
            }
            return c;
        });
    }
}
