package io.resiliencekit.ratelimit;

import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.time.Ticker;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link RateLimiterFactory} for token buckets: {@link java.io.Serializable}, it carries only a
 * {@link TokenBucketConfig}, and in each JVM returns the same limiter for the same name (a
 * per-JVM registry), so every task of an executor shares one bucket and one lease.
 *
 * <pre>{@code
 * RateLimiterFactory f = RateLimiters.fromOptions(Options.of(sparkOptions), "rateLimit.");
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders").rateLimiter(f).build();
 * }</pre>
 *
 * <p>Leased buckets get their authority from the config: {@code inprocess} is
 * {@link InProcessTokenAuthority#shared()}, {@code jdbc} opens a {@link JdbcTokenAuthority}
 * (one per JVM, URL and table).
 */
public final class TokenBucketFactory implements RateLimiterFactory {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TokenBucketFactory.class);
    private static final ConcurrentMap<String, RateLimiter> REGISTRY = new ConcurrentHashMap<>();
    private static final ConcurrentMap<String, TokenAuthority> AUTHORITIES = new ConcurrentHashMap<>();

    private final TokenBucketConfig config;

    public TokenBucketFactory(TokenBucketConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        config.validate();
    }

    public TokenBucketConfig config() {
        return config;
    }

    /** The limiter registered under the config's name in this JVM, created on first use with {@code ticker}. */
    @Override
    public RateLimiter create(Ticker ticker) {
        RateLimiter limiter = REGISTRY.computeIfAbsent(config.name(), n -> newLimiter(ticker));
        if (!matches(limiter)) {
            LOG.warn("rate limiter '{}' already exists in this JVM with another configuration; using the existing one",
                config.name());
        }
        return limiter;
    }

    private boolean matches(RateLimiter l) {
        if (l instanceof TokenBucket) {
            TokenBucket b = (TokenBucket) l;
            return config.mode() == TokenBucketConfig.Mode.LOCAL && b.rate() == config.rate() && b.burst() == config.burst();
        }
        return config.mode() == TokenBucketConfig.Mode.LEASED;
    }

    private RateLimiter newLimiter(Ticker ticker) {
        TokenBucketBuilder b = TokenBucketBuilder.from(config).ticker(ticker);
        if (config.mode() == TokenBucketConfig.Mode.LOCAL) {
            return b.build();
        }
        return b.buildLeased(authority(config));
    }

    private static TokenAuthority authority(TokenBucketConfig c) {
        if (c.authority() == TokenBucketConfig.AuthorityKind.INPROCESS) {
            return InProcessTokenAuthority.shared();
        }
        String key = c.jdbcUrl() + "|" + c.jdbcUser() + "|" + c.jdbcTable();
        return AUTHORITIES.computeIfAbsent(key, k ->
            JdbcTokenAuthority.fromUrl(c.jdbcUrl(), c.jdbcUser(), c.jdbcPassword(), c.jdbcTable(), Ticker.system()));
    }

    /** Forgets every registered limiter of this JVM (tests). Leased ones stop asking for leases. */
    public static void clearRegistry() {
        REGISTRY.values().forEach(l -> {
            if (l instanceof LeasedTokenBucket) {
                ((LeasedTokenBucket) l).close();
            }
        });
        REGISTRY.clear();
        AUTHORITIES.values().forEach(TokenAuthority::close);
        AUTHORITIES.clear();
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
