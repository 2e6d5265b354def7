package io.resiliencekit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.IdempotencyOptions;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.ratelimit.TokenBucketConfig;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the Options group of issue 13 (C1, C4, C6 in core; C2, C3, C5 live with the
 * Spark options). Settings: documented defaults everywhere, plus the one option each test is about.
 */
class OptionDefectsTest {

    private static ConfigException rejected(Map<String, String> options) {
        try {
            ResiliencePolicyConfig.fromOptions(options);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted: " + options.keySet());
    }

    @Test
    void C1_typoAtTopLevelIsRejected() {
        ConfigException e = rejected(Map.of("name", "p", "retyr.maxAttempts", "0"));
        assertThat(e.problems()).containsExactly("retyr.maxAttempts: unknown option (did you mean retry.maxAttempts?)");
    }

    @Test
    void C1_foreignKeyInAPolicyMapIsRejected() {
        ConfigException e = rejected(Map.of("name", "p", "spark.app.name", "job"));
        assertThat(e.problems()).singleElement().asString().startsWith("spark.app.name: unknown option");
    }

    @Test
    void C1_lowerCasedKeysMeanTheirOption() {
        // Spark's CaseInsensitiveStringMap hands DataSource options over lower-cased
        ConfigException e = rejected(Map.of("name", "p", "ratelimit.rate", "-1"));
        assertThat(e.problems()).singleElement().asString().startsWith("rateLimit.rate:");

        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "p", "ratelimit.rate", "5",
            "retry.maxattempts", "4", "breaker.failureratethreshold", "0.25"));
        assertThat(((TokenBucketFactory) c.rateLimiter().orElseThrow()).config().rate()).isEqualTo(5.0);
        assertThat(c.retry().orElseThrow().maxAttempts()).isEqualTo(4);
        assertThat(c.circuitBreaker().orElseThrow().failureRateThreshold()).isEqualTo(0.25);
    }

    /** Every string-option entry point of core, each given a map with a null key. */
    static List<Function<Map<String, String>, Object>> coreEntryPoints() {
        return List.of(
            ResiliencePolicyConfig::fromOptions,
            RetryConfig::fromOptions,
            m -> TokenBucketConfig.parse(m, "rateLimit."),
            m -> RateLimiters.fromOptions(m, "rateLimit."),
            m -> IdempotencyOptions.fromOptions(Options.of(m), "idempotency."),
            m -> HttpJsonClientConfig.fromOptions(m, "http."),
            m -> {
                Options o = Options.of(m);
                CircuitBreakerConfig c = CircuitBreakerConfig.fromOptions(o, "breaker.");
                o.throwIfInvalid();
                return c;
            });
    }

    @Test
    void C4_nullKeyIsAProblemNotANullPointerException() {
        for (Function<Map<String, String>, Object> entry : coreEntryPoints()) {
            Map<String, String> m = new HashMap<>();
            m.put("name", "p");
            m.put("rateLimit.rate", "5");
            m.put("http.baseUri", "https://api.example.com");
            m.put(null, "x");
            assertThatThrownBy(() -> entry.apply(m)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.getMessage()).contains("null"));
        }
    }

    @Test
    void C6_rateLimiterJdbcUrlIsValidated() {
        ConfigException e = rejected(Map.of("name", "p", "rateLimit.rate", "5", "rateLimit.mode", "leased",
            "rateLimit.authority", "jdbc", "rateLimit.jdbc.url", "postgresql://db/quota"));
        assertThat(e.problems()).singleElement().asString().startsWith("rateLimit.jdbc.url:");
    }

    @Test
    void C6_longHoldRoundTripsThroughToOptions() {
        IdempotencyConfig fromBuilder = IdempotencyConfig.builder().hold(Duration.ofDays(4)).build();
        assertThat(IdempotencyConfig.fromOptions(Options.of(fromBuilder.toOptions("idempotency.")), "idempotency."))
            .isEqualTo(fromBuilder);
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "p", "idempotency.hold", "4d"));
        assertThat(ResiliencePolicyConfig.fromOptions(c.toOptions())).isEqualTo(c);
    }

    @Test
    void C6_disabledBreakerWithOtherBreakerKeysIsNotAnUnknownOption() {
        assertThat(ResiliencePolicyConfig.fromOptions(Map.of("name", "p", "breaker.enabled", "false")).circuitBreaker())
            .isEmpty();
        // a known key that cannot take effect is named as such, not as unknown, and not silently ignored
        ConfigException e = rejected(Map.of("name", "p", "breaker.enabled", "false", "breaker.windowSize", "10"));
        assertThat(e.problems()).containsExactly("breaker.windowSize: has no effect while breaker.enabled is false");
    }

    @Test
    void C6_hugeValuesAreAbbreviatedInMessages() {
        String huge = "9".repeat(100_000);
        ConfigException e = rejected(Map.of("name", "p", "retry.maxAttempts", huge, "retry.jitter", "x" + huge));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage().length()).isLessThan(1_000);
        assertThat(e.getMessage()).contains("retry.maxAttempts", "retry.jitter", "(100000 characters)", "(100001 characters)");
    }

    @Test
    void C6_rateLimitAuthorityIsNotMasked() {
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "p", "rateLimit.rate", "5",
            "rateLimit.mode", "leased", "rateLimit.authority", "jdbc", "rateLimit.jdbc.url", "jdbc:postgresql://db/quota",
            "rateLimit.jdbc.password", "hunter2"));
        assertThat(c.toString()).contains("rateLimit.authority=jdbc").contains("rateLimit.jdbc.password=****")
            .doesNotContain("hunter2");
        assertThatCode(() -> ResiliencePolicyConfig.fromOptions(c.toOptions())).doesNotThrowAnyException();
    }
}
