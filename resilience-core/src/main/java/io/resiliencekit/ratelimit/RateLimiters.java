package io.resiliencekit.ratelimit;

import io.resiliencekit.config.Options;
import java.util.Map;

/**
 * Entry points for configuring rate limiters from strings (Spark options, properties files).
 *
 * <pre>{@code
 * RateLimiterFactory f = RateLimiters.fromOptions(Options.of(Map.of(
 *     "rateLimit.name", "orders-api", "rateLimit.rate", "100", "rateLimit.mode", "leased")), "rateLimit.");
 * RateLimiter limiter = f.create(ResilienceRuntime.shared());   // one instance per name and runtime
 * }</pre>
 *
 * <p>Keys under the prefix: {@code name, rate, burst, mode (local|leased), authority (inprocess|jdbc),
 * leasePeriod, expectedClients, jdbc.url, jdbc.user, jdbc.password (secret), jdbc.table}; see
 * {@code docs/options.md}, generated from {@link TokenBucketConfig#optionSchema()}.
 */
public final class RateLimiters {

    private RateLimiters() {
    }

    /**
     * Reads the options under {@code prefix}, rejects unknown keys under it, and throws one
     * {@link io.resiliencekit.config.ConfigException} listing every problem found in {@code o} so far.
     */
    public static TokenBucketFactory fromOptions(Options o, String prefix) {
        TokenBucketConfig c = TokenBucketConfig.SCHEMA.read(o, prefix, true);
        o.throwIfInvalid();
        return new TokenBucketFactory(c);
    }

    public static TokenBucketFactory fromOptions(Map<String, String> options, String prefix) {
        return fromOptions(Options.of(options), prefix);
    }

    /**
     * The default kind: one rate R for every JVM of the cluster when the runtime is bound to one (the
     * Spark plugin binds every executor), a local bucket of rate R otherwise.
     */
    public static TokenBucketFactory of(String name, double rate, long burst) {
        return new TokenBucketFactory(TokenBucket.builder(name).rate(rate).burst(burst).config());
    }

    /**
     * Leased from the cluster's authority, whatever the defaults: one rate R for the whole cluster.
     * Without a cluster, a local bucket after one warning that says so.
     */
    public static TokenBucketFactory cluster(String name, double rate, long burst) {
        return new TokenBucketFactory(TokenBucket.builder(name).rate(rate).burst(burst)
            .mode(TokenBucketConfig.Mode.LEASED).authority(TokenBucketConfig.AuthorityKind.CLUSTER).config());
    }

    /** A factory for a local bucket: rate R in each JVM (each runtime), whatever the cluster. */
    public static TokenBucketFactory local(String name, double rate, long burst) {
        return new TokenBucketFactory(TokenBucket.builder(name).rate(rate).burst(burst)
            .mode(TokenBucketConfig.Mode.LOCAL).config());
    }

    /** A factory for a leased bucket on the runtime's in-process authority. */
    public static TokenBucketFactory leasedInProcess(String name, double rate, long burst) {
        return new TokenBucketFactory(TokenBucket.builder(name).rate(rate).burst(burst)
            .mode(TokenBucketConfig.Mode.LEASED).authority(TokenBucketConfig.AuthorityKind.INPROCESS).config());
    }
}
