package io.resiliencekit.spark.ratelimit;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.resiliencekit.ratelimit.LeasedTokenBucket;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.ratelimit.TokenBucketBuilder;
import io.resiliencekit.ratelimit.TokenBucketConfig;
import io.resiliencekit.spark.ClusterCoordinator;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.time.Ticker;

/**
 * A rate limit shared by the whole Spark application: in each executor JVM it resolves to one
 * {@link LeasedTokenBucket} per name whose authority is the driver's ({@link SparkTokenAuthority}
 * to {@link DriverTokenAuthority}). Without {@link io.resiliencekit.spark.ResiliencePlugin} it
 * resolves to a local token bucket at the full rate in each JVM, after one warning.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders-api")
 *     .rateLimiter(ClusterRateLimiterFactory.of("orders-api", 100, 10))  // 100/s for the application
 *     .build();
 * // or with every token-bucket option (lease period, expected clients):
 * ClusterRateLimiterFactory.of(TokenBucketConfig.fromOptions(options, "rateLimit."));
 * }</pre>
 */
public final class ClusterRateLimiterFactory implements RateLimiterFactory {

    private static final long serialVersionUID = 1L;

    // name -> limiter and the coordinator it was made for (a new SparkContext in the same JVM,
    // as in local-mode tests, brings a new coordinator and so a new limiter)
    private static final ConcurrentMap<String, Bound> LIMITERS = new ConcurrentHashMap<>();

    private final TokenBucketConfig config;

    private ClusterRateLimiterFactory(TokenBucketConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** A limiter of {@code ratePerSecond} with {@code burst}, shared by every executor under {@code name}. */
    public static ClusterRateLimiterFactory of(String name, double ratePerSecond, long burst) {
        return new ClusterRateLimiterFactory(TokenBucketConfig.builder(name).rate(ratePerSecond).burst(burst)
                .mode(TokenBucketConfig.Mode.LEASED).config());
    }

    /** From a full token-bucket config; its mode and authority are ignored (the driver is the authority). */
    public static ClusterRateLimiterFactory of(TokenBucketConfig config) {
        return new ClusterRateLimiterFactory(config);
    }

    @Override
    public RateLimiter create(Ticker ticker) {
        ClusterCoordinator c = ResilienceCluster.coordinatorOrWarn("rate limiter '" + config.name() + "'").orElse(null);
        return LIMITERS.compute(config.name(), (n, old) -> {
            if (old != null && old.coordinator == c) {
                return old;
            }
            if (old != null && old.limiter instanceof LeasedTokenBucket) {
                ((LeasedTokenBucket) old.limiter).close();
            }
            TokenBucketBuilder b = TokenBucketBuilder.from(config).ticker(ticker);
            if (c == null) {
                return new Bound(null, b.mode(TokenBucketConfig.Mode.LOCAL).build());
            }
            LeasedTokenBucket l = b.clientId("executor-" + c.executorId() + "@" + ProcessHandle.current().pid())
                    .buildLeased(new SparkTokenAuthority(c));
            c.onShutdown(() -> {
                // the plugin stopped (local mode: the SparkContext): stop asking a driver that is gone
                l.close();
                LIMITERS.computeIfPresent(n, (k, v) -> v.limiter == l ? null : v);
            });
            return new Bound(c, l);
        }).limiter;
    }

    /** Forgets this JVM's limiters (tests). */
    public static void resetJvm() {
        LIMITERS.values().forEach(b -> {
            if (b.limiter instanceof LeasedTokenBucket) {
                ((LeasedTokenBucket) b.limiter).close();
            }
        });
        LIMITERS.clear();
    }

    public TokenBucketConfig config() {
        return config;
    }

    @Override
    public String toString() {
        return "ClusterRateLimiter[" + config.name() + ", " + config.rate() + "/s, burst " + config.burst() + "]";
    }

    private static final class Bound {
        final ClusterCoordinator coordinator;
        final RateLimiter limiter;

        Bound(ClusterCoordinator coordinator, RateLimiter limiter) {
            this.coordinator = coordinator;
            this.limiter = limiter;
        }
    }
}
