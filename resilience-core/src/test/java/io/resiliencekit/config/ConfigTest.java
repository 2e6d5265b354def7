package io.resiliencekit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ConfigTest {

    private static final String SECRET = "s3cr3t-Value-42";

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T value) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    private static ResiliencePolicyConfig sample() {
        return ResiliencePolicy.builder("orders-api")
            .retry(RetryConfig.builder().maxAttempts(5).maxDuration(Duration.ofMinutes(2))
                .backoff(Duration.ofMillis(250), 3.0, Duration.ofSeconds(20)).jitter(Jitter.EQUAL)
                .seed(11L).budget(true, 0.3, 40).abortOn(IllegalStateException.class).build())
            .circuitBreaker(io.resiliencekit.breaker.CircuitBreakerConfig.builder("orders-api")
                .failureRateThreshold(0.4).minimumCalls(10).timeWindow(Duration.ofSeconds(30))
                .slowCalls(Duration.ofSeconds(2), 0.8).openDuration(Duration.ofSeconds(5)).build())
            .rateLimitMaxWait(Duration.ofSeconds(90))
            .latencySampling(16)
            .config();
    }

    @Test
    void configsSurviveJavaSerialization() throws Exception {
        ResiliencePolicyConfig c = sample();
        assertThat(roundTrip(c)).isEqualTo(c);
        assertThat(roundTrip(c.retry().orElseThrow())).isEqualTo(c.retry().orElseThrow());
    }

    @Test
    void configsSurviveTheOptionsRoundTrip() {
        ResiliencePolicyConfig c = sample();
        Map<String, String> options = c.toOptions();
        assertThat(ResiliencePolicyConfig.fromOptions(options)).isEqualTo(c);
        assertThat(ResiliencePolicyConfig.fromOptions(options).toOptions()).isEqualTo(options);
        assertThat(RetryConfig.fromOptions(c.retry().orElseThrow().toOptions("retry.")))
            .isEqualTo(c.retry().orElseThrow());
    }

    @Test
    void aBreakerIsNamedAfterItsPolicyUnlessNamed() {
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "payments",
            "breaker.failureRateThreshold", "0.25"));
        assertThat(c.circuitBreaker().orElseThrow().name()).isEqualTo("payments");
        assertThat(c.circuitBreaker().orElseThrow().failureRateThreshold()).isEqualTo(0.25);
        assertThat(ResiliencePolicyConfig.fromOptions(Map.of("name", "payments")).circuitBreaker()).isEmpty();
    }

    @Test
    void humanFriendlyOptionsParse() {
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of(
            "name", "payments", "retry.maxAttempts", "4", "retry.baseDelay", "200ms", "retry.maxDelay", "1m",
            "retry.jitter", "decorrelated", "retry.maxDuration", "PT30S"));
        RetryConfig r = c.retry().orElseThrow();
        assertThat(r.maxAttempts()).isEqualTo(4);
        assertThat(r.backoff().base()).isEqualTo(Duration.ofMillis(200));
        assertThat(r.backoff().cap()).isEqualTo(Duration.ofMinutes(1));
        assertThat(r.backoff().jitter()).isEqualTo(Jitter.DECORRELATED);
        assertThat(r.maxDuration()).contains(Duration.ofSeconds(30));
    }

    @Test
    void fiveErrorsComeBackAsOneExceptionNamingAllFive() {
        Map<String, String> bad = new HashMap<>();
        bad.put("name", "orders api!");               // 1: not an identifier
        bad.put("retry.maxAttempts", "0");            // 2: out of range
        bad.put("retry.baseDelay", "soon");           // 3: not a duration
        bad.put("retry.jitter", "wobbly");            // 4: not a jitter mode
        bad.put("retry.maxAtempts", "3");             // 5: unknown (misspelt) key
        assertThatThrownBy(() -> ResiliencePolicyConfig.fromOptions(bad))
            .isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.problems()).hasSize(5);
                assertThat(e.getMessage()).contains("name:", "retry.maxAttempts:", "retry.baseDelay:", "retry.jitter:",
                    "retry.maxAtempts: unknown option (did you mean retry.maxAttempts?)");
            });
    }

    @Test
    void builderValidationAlsoReportsEverything() {
        assertThatThrownBy(() -> RetryConfig.builder().maxAttempts(0).budget(true, -1, -1).build())
            .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(3));
    }

    @Test
    void secretValuesNeverAppearInProblems() {
        Map<String, String> bad = Map.of("name", "x", "retry.apiKey", SECRET, "breaker.password", SECRET,
            "authorization", SECRET);
        assertThatThrownBy(() -> ResiliencePolicyConfig.fromOptions(bad))
            .isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.problems()).hasSize(3);
                assertThat(e.getMessage()).doesNotContain(SECRET);
            });
        Options o = Options.of(Map.of("sink.token", SECRET));
        o.intValue("sink.token", 1, 0, 10);
        assertThat(o.problems()).singleElement().asString().contains("sink.token").doesNotContain(SECRET);
        assertThat(Secrets.masked(Map.of("sink.apiKey", SECRET, "sink.url", "http://x")))
            .containsEntry("sink.apiKey", Secrets.MASK).containsEntry("sink.url", "http://x");
    }

    @Test
    void scrubMasksSecretLookingValuesInFreeText() {
        assertThat(Secrets.scrub("Authorization: Bearer " + SECRET)).doesNotContain(SECRET).startsWith("Authorization: ");
        assertThat(Secrets.scrub("got Bearer " + SECRET)).isEqualTo("got Bearer ****");
        assertThat(Secrets.scrub("login failed for password=" + SECRET + "&user=bob")).isEqualTo("login failed for password=****&user=bob");
        assertThat(Secrets.scrub("{\"apiKey\": \"" + SECRET + "\", \"id\": 7}")).doesNotContain(SECRET).contains("\"id\": 7");
        assertThat(Secrets.scrub("jdbc:postgresql://app:" + SECRET + "@db:5432/x")).doesNotContain(SECRET).contains("app:****@db");
        assertThat(Secrets.scrub("timeout after 30 s")).isEqualTo("timeout after 30 s");
    }

    @Test
    void secretsNeverReachToStringLogsOrExceptions() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try {
            ResiliencePolicy p = ResiliencePolicy.builder("secretive").ticker(new ManualTicker())
                .retry(RetryConfig.builder().maxAttempts(2).noBudget().build()).build();
            Throwable thrown = null;
            try {
                p.call(() -> {
                    // a careless client put the token in its exception message
                    throw new IOException("401 for Authorization: Bearer " + SECRET);
                });
            } catch (CallFailedException e) {
                thrown = e;
            }
            assertThat(thrown).isNotNull();
            assertThat(thrown.getMessage()).contains("IOException").doesNotContain(SECRET);
            assertThat(logs.list).isNotEmpty();
            for (ILoggingEvent e : logs.list) {
                assertThat(e.getFormattedMessage()).doesNotContain(SECRET);
            }
            assertThat(p.toString()).doesNotContain(SECRET);
            assertThat(p.config().toString()).doesNotContain(SECRET);
        } finally {
            root.detachAppender(logs);
        }
    }
}
