package io.resiliencekit.spark.ratelimit;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.resiliencekit.ratelimit.RateLimiter;
import io.resiliencekit.ratelimit.RateLimiterFactory;
import io.resiliencekit.spark.ClusterCoordinator;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.time.Ticker;

/**
 * A rate limit shared by the whole Spark application: on each executor it resolves to one
 * {@link ClusterRateLimiter} per name, leasing tokens from the driver's {@link DriverTokenAuthority}.
 * Without {@link io.resiliencekit.spark.ResiliencePlugin} it resolves to a local limiter at the full
 * rate per executor JVM, after one warning.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders-api")
 *     .rateLimiter(ClusterRateLimiterFactory.of("orders-api", 100, 10))  // 100/s for the application
 *     .build();
 * }</pre>
 */
public final class ClusterRateLimiterFactory implements RateLimiterFactory {

    private static final long serialVersionUID = 1L;

    // name -> limiter and the coordinator it was made for (a new SparkContext in the same JVM,
    // as in local-mode tests, brings a new coordinator and so a new limiter)
    private static final ConcurrentMap<String, Bound> LIMITERS = new ConcurrentHashMap<>();

    private final String name;
    private final double ratePerSecond;
    private final long burst;

    private ClusterRateLimiterFactory(String name, double ratePerSecond, long burst) {
        this.name = Objects.requireNonNull(name, "name");
        if (!(ratePerSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("limiter '" + name + "': rate must be > 0 and burst >= 1, got "
                    + ratePerSecond + " and " + burst);
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
    }

    /** A limiter of {@code ratePerSecond} with {@code burst}, shared by every executor under {@code name}. */
    public static ClusterRateLimiterFactory of(String name, double ratePerSecond, long burst) {
        return new ClusterRateLimiterFactory(name, ratePerSecond, burst);
    }

    @Override
    public RateLimiter create(Ticker ticker) {
        ClusterCoordinator c = ResilienceCluster.coordinatorOrWarn("rate limiter '" + name + "'").orElse(null);
        return LIMITERS.compute(name, (n, old) -> {
            if (old != null && old.coordinator == c) {
                return old;
            }
            RateLimiter l = c == null ? new LocalRateLimiter(n, ratePerSecond, burst, ticker)
                    : new ClusterRateLimiter(n, ratePerSecond, burst, ticker, c);
            return new Bound(c, l);
        }).limiter;
    }

    private static final class Bound {
        final ClusterCoordinator coordinator;
        final RateLimiter limiter;

        Bound(ClusterCoordinator coordinator, RateLimiter limiter) {
            this.coordinator = coordinator;
            this.limiter = limiter;
        }
    }

    /** Forgets this JVM's limiters (a new SparkContext in the same JVM, tests). */
    public static void resetJvm() {
        LIMITERS.clear();
    }

    public String name() {
        return name;
    }

    public double ratePerSecond() {
        return ratePerSecond;
    }

    public long burst() {
        return burst;
    }

    @Override
    public String toString() {
        return "ClusterRateLimiter[" + name + ", " + ratePerSecond + "/s, burst " + burst + "]";
    }
}
