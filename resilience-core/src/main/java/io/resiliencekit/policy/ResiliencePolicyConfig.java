package io.resiliencekit.policy;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.Secrets;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.spi.IdempotencyGuardFactory;
import io.resiliencekit.idempotency.IdempotencyOptions;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.ratelimit.TokenBucketBuilder;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
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
 * {@link #fromOptions(Map)} reads {@code name} (required: letters, digits, {@code . _ -}, at most 64)
 * and the sections {@code retry.*} (see {@link RetryConfig}), {@code breaker.*} (a breaker is used
 * when {@code breaker.enabled=true} or any {@code breaker.} key is set), {@code rateLimit.maxWait}
 * (how long a call may wait for a permit; 5m), {@code metrics.latencySampling} (1 in N calls is
 * timed; 64; 0 = off), {@code rateLimit.*} (see {@link io.resiliencekit.ratelimit.TokenBucketConfig}; a limiter
 * is used when any key besides {@code rateLimit.maxWait} is set) and {@code idempotency.*} (see {@link IdempotencyOptions}; a guard is used when
 * any such key is set). Unknown keys are errors.
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

    /**
     * Parses a whole policy from string options, reporting every problem at once.
     *
     * @throws io.resiliencekit.config.ConfigException naming every bad or unknown option
     */
    public static ResiliencePolicyConfig fromOptions(Map<String, String> options) {
        Options o = Options.of(options);
        ResiliencePolicyConfig c = fromOptions(o);
        o.throwIfInvalid();
        return c;
    }

    /** Reads every section from {@code o}, recording problems (unknown keys included) without throwing. */
    public static ResiliencePolicyConfig fromOptions(Options o) {
        String name = o.matching("name", null, NAME, "1 to 64 letters, digits, '.', '_' or '-'");
        if (name == null) {
            o.required("name");
            name = "invalid";
        }
        ResiliencePolicyBuilder b = ResiliencePolicy.builder(name);
        b.retry(RetryConfig.fromOptions(o, "retry."));
        if (o.booleanValue("breaker.enabled", o.hasAnyUnder("breaker.", "breaker.enabled"))) {
            boolean named = o.has("breaker.name");
            CircuitBreakerConfig breaker = CircuitBreakerConfig.fromOptions(o, "breaker.");
            // a breaker is named after its policy unless told otherwise
            b.circuitBreaker(breaker == null || named ? breaker : breaker.toBuilder().name(name).build());
        }
        b.rateLimitMaxWait(o.duration("rateLimit.maxWait", DEFAULT_RATE_LIMIT_WAIT, Duration.ZERO, Duration.ofDays(1)));
        b.latencySampling(o.intValue("metrics.latencySampling", DEFAULT_LATENCY_SAMPLING, 0, 1 << 20));
        boolean anyRateKey = o.hasAnyUnder("rateLimit.", "rateLimit.maxWait");
        for (String prefix : anyRateKey ? new String[] {"retry.", "breaker.", "metrics."}
                                        : new String[] {"retry.", "breaker.", "rateLimit.", "metrics."}) {
            o.rejectUnknown(prefix);
        }
        for (String key : o.asMap().keySet()) {
            if (key.indexOf('.') < 0 && !key.equals("name")) {
                o.problem(key, "unknown option");
            }
        }
        // These two section parsers throw once they have recorded their problems in o; catching lets
        // the other section be checked too, and the caller throws one exception with everything.
        if (anyRateKey) {
            boolean named = o.has("rateLimit.name");
            try {
                TokenBucketFactory limiter = RateLimiters.fromOptions(o, "rateLimit.");
                // a limiter is named after its policy unless told otherwise: names are shared per JVM
                b.rateLimiter(named ? limiter
                    : new TokenBucketFactory(TokenBucketBuilder.from(limiter.config()).name(name).config()));
            } catch (ConfigException recorded) {
                // problems are in o
            }
        }
        if (o.hasAnyUnder("idempotency.")) {
            try {
                b.idempotency(IdempotencyOptions.fromOptions(o, "idempotency."));
            } catch (ConfigException recorded) {
                // problems are in o
            }
        }
        return b.config();
    }

    /** String options that {@link #fromOptions(Map)} turns back into an equivalent config (code-only parts excepted). */
    public Map<String, String> toOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", name);
        if (retry != null) {
            m.putAll(retry.toOptions("retry."));
        } else {
            m.put("retry.maxAttempts", "1");
        }
        if (circuitBreaker != null) {
            m.put("breaker.enabled", "true");
            m.putAll(circuitBreaker.toOptions("breaker."));
        }
        if (rateLimiter instanceof TokenBucketFactory) {
            m.putAll(((TokenBucketFactory) rateLimiter).config().toOptions("rateLimit."));
        }
        if (idempotency instanceof IdempotencyConfig) {
            m.putAll(((IdempotencyConfig) idempotency).toOptions("idempotency."));
        }
        m.put("rateLimit.maxWait", rateLimitMaxWait.toString());
        m.put("metrics.latencySampling", Integer.toString(latencySampling));
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

    /** Safe to log: option values pass through {@link Secrets}, code-only parts are named, not shown. */
    @Override
    public String toString() {
        return "ResiliencePolicyConfig" + Secrets.masked(toOptions())
            + (rateLimiter == null ? "" : " + rateLimiter " + rateLimiter)
            + (idempotency == null ? "" : " + idempotency " + idempotency);
    }
}
