package io.resiliencekit.policy;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.ratelimit.TokenBucketConfig;
import io.resiliencekit.spi.IdempotencyGuardFactory;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.ratelimit.TokenBucketBuilder;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything a {@link ResiliencePolicy} is made of, as an immutable {@link Serializable} value:
 * this is what travels inside Spark closures, and each JVM turns it into one runtime through
 * {@link ResilienceRuntime}.
 *
 * <pre>{@code
 * ResiliencePolicyConfig config = ResiliencePolicy.builder("orders-api")
 *     .retry(RetryConfig.builder().maxAttempts(5).build())
 *     .circuitBreaker(CircuitBreakerConfig.builder("orders-api").build())
 *     .config();
 * ResiliencePolicy policy = ResilienceRuntime.shared().policy(config); // once per JVM
 * }</pre>
 *
 * <h2>Options</h2>
 * {@link #fromOptions(Map)} reads {@code name} (required) and the sections {@code retry.*},
 * {@code breaker.*}, {@code rateLimit.*} and {@code idempotency.*}, plus {@code rateLimit.maxWait}
 * and {@code metrics.latencySampling}. Every key of every section is known, so any other key is an
 * error with a "did you mean" suggestion; keys are case-insensitive, as Spark passes them. All
 * keys, types, ranges and defaults: {@code docs/options.md}, generated from {@link #optionSchema()}.
 */
public final class ResiliencePolicyConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** What a policy name may look like: it appears in logs, metrics names and Spark options. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    static final Duration DEFAULT_RATE_LIMIT_WAIT = Duration.ofMinutes(5);
    static final int DEFAULT_LATENCY_SAMPLING = 64;

    final String name;
    final RetryConfig retry;
    final CircuitBreakerConfig circuitBreaker;
    final RateLimiterFactory rateLimiter;
    final Duration rateLimitMaxWait;
    final IdempotencyGuardFactory idempotency;
    final FailureClassifier classifier;
    final int latencySampling;

    ResiliencePolicyConfig(ResiliencePolicyBuilder b) {
        this.name = b.name;
        this.retry = b.retry;
        this.circuitBreaker = b.circuitBreaker;
        this.rateLimiter = b.rateLimiter;
        this.rateLimitMaxWait = b.rateLimitMaxWait;
        this.idempotency = b.idempotency;
        this.classifier = b.classifier;
        this.latencySampling = b.latencySampling;
    }

    private static final OptionSchema.Declarer<ResiliencePolicyConfig> D = OptionSchema.declarer(ResiliencePolicyConfig.class);

    static final OptionSchema.Option<ResiliencePolicyConfig, String> NAME_OPTION = D.option("name",
        OptionType.matching(NAME, "1 to 64 letters, digits, '.', '_' or '-'"), null, ResiliencePolicyConfig::name,
        "Names the policy's runtime (one per name per JVM), its logs and metrics; breakers and limiters are named "
            + "after it unless named themselves.").required("");
    static final OptionSchema.Option<ResiliencePolicyConfig, Integer> LATENCY_SAMPLING = D.option("metrics.latencySampling",
        OptionType.integer(0, 1 << 20), DEFAULT_LATENCY_SAMPLING, ResiliencePolicyConfig::latencySampling,
        "1 in N calls is timed for the latency histogram; 1: every call, 0: none.");
    static final OptionSchema.Option<ResiliencePolicyConfig, Duration> RATE_LIMIT_MAX_WAIT = D.option("rateLimit.maxWait",
        OptionType.duration(Duration.ZERO, Duration.ofDays(1)), DEFAULT_RATE_LIMIT_WAIT,
        ResiliencePolicyConfig::rateLimitMaxWait, "How long a call may wait for a rate-limit permit before it fails.");
    static final OptionSchema.Option<ResiliencePolicyConfig, Boolean> BREAKER_ENABLED = D.option("breaker.enabled",
        OptionType.bool(), null, c -> c.circuitBreaker != null,
        "true adds a breaker with the defaults; false: no breaker, and any other breaker.* key is a problem.")
        .defaultDoc("true if any breaker.* key is set");
    static final OptionSchema.Section<ResiliencePolicyConfig, RetryConfig> RETRY =
        D.section("retry.", RetryConfig.optionSchema(), c -> c.retry);
    static final OptionSchema.Section<ResiliencePolicyConfig, CircuitBreakerConfig> BREAKER =
        D.section("breaker.", CircuitBreakerConfig.optionSchema(), c -> c.circuitBreaker);
    static final OptionSchema.Section<ResiliencePolicyConfig, TokenBucketConfig> RATE_LIMIT =
        D.section("rateLimit.", TokenBucketConfig.optionSchema(),
            c -> c.rateLimiter instanceof TokenBucketFactory ? ((TokenBucketFactory) c.rateLimiter).config() : null);
    static final OptionSchema.Section<ResiliencePolicyConfig, IdempotencyConfig> IDEMPOTENCY =
        D.section("idempotency.", IdempotencyConfig.optionSchema(),
            c -> c.idempotency instanceof IdempotencyConfig ? (IdempotencyConfig) c.idempotency : null);

    static final OptionSchema<ResiliencePolicyConfig> SCHEMA = OptionSchema.<ResiliencePolicyConfig>builder(
            "Policy (`ResiliencePolicyConfig.fromOptions`)")
        .description("A whole policy from one map. Every key of every section is known: a key that is not listed here "
            + "is an error (with a \"did you mean\"). Retry is always on (`retry.maxAttempts=1` turns it off); a "
            + "breaker, a rate limiter and an idempotency guard are added when any of their keys is set.")
        .addAll(D)
        .build(ResiliencePolicyConfig::fromValues);

    private static ResiliencePolicyConfig fromValues(OptionSchema.Values v) {
        String name = v.isSet(NAME_OPTION) ? v.get(NAME_OPTION) : "invalid";
        ResiliencePolicyBuilder b = ResiliencePolicy.builder(name);
        b.retry(v.section(RETRY));
        List<String> breakerKeys = v.givenKeys(BREAKER);
        boolean disabled = v.isSet(BREAKER_ENABLED) && !v.get(BREAKER_ENABLED);
        if (disabled) {
            breakerKeys.forEach(k -> v.problem(k, "has no effect while " + v.key(BREAKER_ENABLED) + " is false"));
        } else if (v.isSet(BREAKER_ENABLED) || !breakerKeys.isEmpty()) {
            CircuitBreakerConfig breaker = v.section(BREAKER);
            // a breaker is named after its policy unless told otherwise
            b.circuitBreaker(breakerKeys.contains(BREAKER.prefix() + "name") ? breaker : breaker.toBuilder().name(name).build());
        }
        b.rateLimitMaxWait(v.get(RATE_LIMIT_MAX_WAIT));
        b.latencySampling(v.get(LATENCY_SAMPLING));
        List<String> rateKeys = v.givenKeys(RATE_LIMIT);
        if (!rateKeys.isEmpty()) {
            TokenBucketConfig limiter = v.section(RATE_LIMIT);
            if (!rateKeys.contains(RATE_LIMIT.prefix() + "name")) {
                // a limiter is named after its policy unless told otherwise: names are shared per JVM
                try {
                    limiter = TokenBucketBuilder.from(limiter).name(name).config();
                } catch (ConfigException recorded) {
                    // its problems are recorded already; the config is not used
                }
            }
            try {
                b.rateLimiter(new TokenBucketFactory(limiter));
            } catch (ConfigException recorded) {
                // an invalid limiter: its problems are recorded already
            }
        }
        if (!v.givenKeys(IDEMPOTENCY).isEmpty()) {
            b.idempotency(v.section(IDEMPOTENCY));
        }
        return b.config();
    }

    /** Every option of a policy, sections included: keys, types, ranges, defaults and docs. */
    public static OptionSchema<ResiliencePolicyConfig> optionSchema() {
        return SCHEMA;
    }

    /**
     * Parses a whole policy from string options, reporting every problem at once: bad values,
     * missing ones, and every key that is not an option of a policy (keys are case-insensitive).
     *
     * @throws io.resiliencekit.config.ConfigException naming every bad or unknown option
     */
    public static ResiliencePolicyConfig fromOptions(Map<String, String> options) {
        return SCHEMA.parse(options, "");
    }

    /** Reads every section from {@code o}, recording problems (unknown keys included) without throwing. */
    public static ResiliencePolicyConfig fromOptions(Options o) {
        return SCHEMA.read(o, "", true);
    }

    /** String options that {@link #fromOptions(Map)} turns back into an equivalent config (code-only parts excepted). */
    public Map<String, String> toOptions() {
        Map<String, String> m = SCHEMA.toOptions(this, "");
        if (retry == null) {
            m.put("retry.maxAttempts", "1");
        }
        return m;
    }

    public String name() {
        return name;
    }

    public Optional<RetryConfig> retry() {
        return Optional.ofNullable(retry);
    }

    public Optional<CircuitBreakerConfig> circuitBreaker() {
        return Optional.ofNullable(circuitBreaker);
    }

    public Optional<RateLimiterFactory> rateLimiter() {
        return Optional.ofNullable(rateLimiter);
    }

    public Duration rateLimitMaxWait() {
        return rateLimitMaxWait;
    }

    public Optional<IdempotencyGuardFactory> idempotency() {
        return Optional.ofNullable(idempotency);
    }

    public FailureClassifier classifier() {
        return classifier;
    }

    /** 1 in N calls is timed for the latency histogram; 1 = every call, 0 = none. */
    public int latencySampling() {
        return latencySampling;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ResiliencePolicyConfig)) {
            return false;
        }
        ResiliencePolicyConfig c = (ResiliencePolicyConfig) o;
        return name.equals(c.name) && Objects.equals(retry, c.retry) && Objects.equals(circuitBreaker, c.circuitBreaker)
            && Objects.equals(rateLimiter, c.rateLimiter) && rateLimitMaxWait.equals(c.rateLimitMaxWait)
            && Objects.equals(idempotency, c.idempotency) && classifier.equals(c.classifier)
            && latencySampling == c.latencySampling;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, retry, circuitBreaker, rateLimitMaxWait, latencySampling);
    }

    /** Safe to log: secret options masked, URLs without credentials, code-only parts named by their own toString. */
    @Override
    public String toString() {
        return "ResiliencePolicyConfig" + SCHEMA.describe(this)
            + (retry == null ? " + no retry" : "")
            + (rateLimiter == null || rateLimiter instanceof TokenBucketFactory ? "" : " + rateLimiter " + rateLimiter)
            + (idempotency == null || idempotency instanceof IdempotencyConfig ? "" : " + idempotency " + idempotency);
    }
}
