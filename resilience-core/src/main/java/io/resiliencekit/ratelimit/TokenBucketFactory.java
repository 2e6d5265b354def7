package io.resiliencekit.ratelimit;

import io.resiliencekit.spi.BindingContext;
import io.resiliencekit.spi.Cluster;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.spi.TokenAuthority;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link RateLimiterFactory} for token buckets: {@link java.io.Serializable}, it carries only a
 * {@link TokenBucketConfig}, and in each runtime returns one limiter per name, so every task of an
 * executor shares one bucket and one lease.
 *
 * <pre>{@code
 * RateLimiterFactory f = RateLimiters.fromOptions(Options.of(sparkOptions), "rateLimit.");
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders").rateLimiter(f).build();
 * }</pre>
 *
 * <p>Where the bucket lives ({@link TokenBucketConfig#mode()}, {@link TokenBucketConfig#authority()}):
 * <ul>
 *   <li>{@code auto} (default): leased from the JDBC authority when {@code authority=jdbc}, else from
 *       the cluster's authority when the runtime is bound to a cluster (the Spark plugin), else local;</li>
 *   <li>{@code local}: this runtime's own bucket, R per JVM;</li>
 *   <li>with {@code rate=auto}, never local: without a cluster (and without {@code authority=jdbc}),
 *       leased from the runtime's in-process authority, which finds the rate for this JVM;</li>
 *   <li>{@code leased}: from {@code cluster} (without a cluster: one warning, then a local bucket),
 *       {@code inprocess} (the runtime's in-process authority) or {@code jdbc} (one authority per
 *       runtime, URL, user and table).</li>
 * </ul>
 */
public final class TokenBucketFactory implements RateLimiterFactory {

    private static final long serialVersionUID = 1L;

    private final TokenBucketConfig config;

    public TokenBucketFactory(TokenBucketConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        config.validate();
    }

    public TokenBucketConfig config() {
        return config;
    }

    /**
     * The runtime's limiter of this name, made on first use.
     *
     * @throws io.resiliencekit.config.ConfigException if the runtime has a limiter of this name with another config
     */
    @Override
    public RateLimiter create(BindingContext context) {
        return context.share("rate limiter", config.name(), config, c -> newLimiter(c, context));
    }

    private static RateLimiter newLimiter(TokenBucketConfig c, BindingContext ctx) {
        TokenBucketBuilder b = TokenBucketBuilder.from(c).ticker(ctx.ticker());
        Optional<Cluster> cluster = ctx.cluster();
        TokenBucketConfig.AuthorityKind where = placement(c, cluster.isPresent());
        if (where == null && c.adaptive()) {
            where = TokenBucketConfig.AuthorityKind.INPROCESS; // the rate is found at an authority: this JVM's
        }
        if (where == null) {
            if (c.mode() == TokenBucketConfig.Mode.LEASED) {
                warnNoCluster(ctx, c);
            }
            return b.mode(TokenBucketConfig.Mode.LOCAL).build();
        }
        switch (where) {
            case CLUSTER:
                return b.clientId(cluster.get().clientId()).scheduler(scheduler(ctx))
                    .buildLeased(cluster.get().tokenAuthority());
            case INPROCESS:
                return b.scheduler(scheduler(ctx)).buildLeased(ctx.share("token authority", "inprocess", "inprocess",
                    k -> new InProcessTokenAuthority(ctx.ticker())));
            case JDBC:
                String key = c.jdbcUrl() + "|" + c.jdbcUser() + "|" + c.jdbcTable();
                TokenAuthority jdbc = ctx.share("token authority", key, key,
                    k -> JdbcTokenAuthority.fromUrl(c.jdbcUrl(), c.jdbcUser(), c.jdbcPassword(), c.jdbcTable(),
                        ctx.ticker()));
                return b.scheduler(scheduler(ctx)).buildLeased(jdbc);
            default:
                throw new AssertionError(where);
        }
    }

    /** Where a bucket of config {@code c} lives (null: local), given whether the runtime is bound to a cluster. */
    static TokenBucketConfig.AuthorityKind placement(TokenBucketConfig c, boolean inCluster) {
        switch (c.mode()) {
            case LOCAL:
                return null;
            case LEASED:
                return c.authority() == TokenBucketConfig.AuthorityKind.CLUSTER && !inCluster ? null : c.authority();
            default:
                if (c.authority() == TokenBucketConfig.AuthorityKind.JDBC) {
                    return TokenBucketConfig.AuthorityKind.JDBC;
                }
                return inCluster ? TokenBucketConfig.AuthorityKind.CLUSTER : null;
        }
    }

    private static LeaseScheduler scheduler(BindingContext ctx) {
        return ctx.share("lease scheduler", "daemon", "daemon", k -> LeaseScheduler.daemon());
    }

    private static void warnNoCluster(BindingContext ctx, TokenBucketConfig c) {
        ctx.warnOnce("no-cluster-limiter:" + c.name(), "rate limiter '" + c.name() + "' is leased from the cluster, but"
            + " this runtime is bound to no cluster: it admits its full rate in this JVM alone (on Spark, set"
            + " spark.plugins=io.resiliencekit.spark.ResiliencePlugin)");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenBucketFactory && config.equals(((TokenBucketFactory) o).config);
    }

    @Override
    public int hashCode() {
        return config.hashCode();
    }

    @Override
    public String toString() {
        return "TokenBucketFactory{" + config + '}';
    }
}
