package io.resiliencekit.policy;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.spi.IdempotencyGuardFactory;
import io.resiliencekit.event.EventListener;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a {@link ResiliencePolicyConfig} ({@link #config()}) or a ready runtime ({@link #build()}).
 * Defaults: retry with {@link RetryConfig#defaults()}, no breaker, no rate limiter, no
 * idempotency, {@link FailureClassifier#defaults()}.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders-api")
 *     .retry(RetryConfig.builder().maxAttempts(5).build())
 *     .circuitBreaker(CircuitBreakerConfig.builder("orders-api").build())
 *     .listener(event -> log.info("{}", event))
 *     .build();
 * }</pre>
 */
public final class ResiliencePolicyBuilder {

    final String name;
    RetryConfig retry = RetryConfig.defaults();
    CircuitBreakerConfig circuitBreaker;
    RateLimiterFactory rateLimiter;
    Duration rateLimitMaxWait = ResiliencePolicyConfig.DEFAULT_RATE_LIMIT_WAIT;
    IdempotencyGuardFactory idempotency;
    FailureClassifier classifier = FailureClassifier.defaults();
    int latencySampling = ResiliencePolicyConfig.DEFAULT_LATENCY_SAMPLING;
    private Ticker ticker = Ticker.system();
    private final List<EventListener> listeners = new ArrayList<>();

    ResiliencePolicyBuilder(String name) {
        this.name = name;
    }

    /** Retry settings; {@code null} means a single attempt. */
    public ResiliencePolicyBuilder retry(RetryConfig retry) {
        this.retry = retry;
        return this;
    }

    public ResiliencePolicyBuilder noRetry() {
        this.retry = null;
        return this;
    }

    public ResiliencePolicyBuilder circuitBreaker(CircuitBreakerConfig breaker) {
        this.circuitBreaker = breaker;
        return this;
    }

    public ResiliencePolicyBuilder rateLimiter(RateLimiterFactory limiter) {
        this.rateLimiter = limiter;
        return this;
    }

    /** How long one attempt may wait for a rate-limit permit before failing with {@link RateLimitedException}. */
    public ResiliencePolicyBuilder rateLimitMaxWait(Duration maxWait) {
        this.rateLimitMaxWait = Objects.requireNonNull(maxWait, "maxWait");
        return this;
    }

    public ResiliencePolicyBuilder idempotency(IdempotencyGuardFactory guard) {
        this.idempotency = guard;
        return this;
    }

    public ResiliencePolicyBuilder classifier(FailureClassifier classifier) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        return this;
    }

    /** Times 1 in {@code n} calls for the latency histogram (1 = every call, 0 = none); 64 by default. */
    public ResiliencePolicyBuilder latencySampling(int n) {
        this.latencySampling = n;
        return this;
    }

    /** The clock for delays, deadlines and breaker windows of {@link #build()}: inject a {@link io.resiliencekit.time.ManualTicker} in tests. */
    public ResiliencePolicyBuilder ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return this;
    }

    /** Registers a listener on the built runtime. Runtime only. */
    public ResiliencePolicyBuilder listener(EventListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** The serializable configuration, validated. */
    public ResiliencePolicyConfig config() {
        List<String> problems = new ArrayList<>();
        if (name == null || !ResiliencePolicyConfig.NAME.matcher(name).matches()) {
            problems.add("name: must be 1 to 64 letters, digits, '.', '_' or '-', was '" + name + "'");
        }
        if (rateLimitMaxWait.isNegative()) {
            problems.add("rateLimit.maxWait: must not be negative, was " + rateLimitMaxWait);
        }
        if (latencySampling < 0) {
            problems.add("metrics.latencySampling: must be zero or more, was " + latencySampling);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ResiliencePolicyConfig(this);
    }

    /**
     * A standalone policy with a runtime of its own (on this builder's ticker): its limiter, store and
     * breaker are shared with nobody. For one policy per name per JVM, shared by every task, use
     * {@code ResilienceRuntime.shared().policy(config())}.
     */
    public ResiliencePolicy build() {
        ResiliencePolicy policy = ResilienceRuntime.builder().ticker(ticker).build().policy(config());
        listeners.forEach(policy.events()::register);
        return policy;
    }
}
