package io.resiliencekit.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.breaker.CircuitBreakerConfig.WindowType;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CircuitBreakerConfigTest {

    private static CircuitBreakerConfig full() {
        return CircuitBreakerConfig.builder("orders")
            .timeWindow(Duration.ofMillis(1_500))
            .windowSize(42)
            .failureRateThreshold(0.3)
            .minimumCalls(7)
            .slowCalls(Duration.ofNanos(2_500_000_001L), 0.75)
            .permittedCallsInHalfOpen(4)
            .openDuration(Duration.ofSeconds(30))
            .openDurationGrowth(1.5, Duration.ofMinutes(20))
            .build();
    }

    @Test
    void defaults() {
        CircuitBreakerConfig c = CircuitBreakerConfig.builder("x").build();
        assertThat(c.name()).isEqualTo("x");
        assertThat(c.windowType()).isEqualTo(WindowType.COUNT);
        assertThat(c.windowSize()).isEqualTo(50);
        assertThat(c.windowDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.failureRateThreshold()).isEqualTo(0.5);
        assertThat(c.minimumCalls()).isEqualTo(20);
        assertThat(c.slowCallDurationThreshold()).isEmpty();
        assertThat(c.slowCallRateThreshold()).isEqualTo(1.0);
        assertThat(c.permittedCallsInHalfOpen()).isEqualTo(5);
        assertThat(c.openDuration()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.openDurationMultiplier()).isEqualTo(2.0);
        assertThat(c.maxOpenDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(CircuitBreakerConfig.builder("x").openDuration(Duration.ofMinutes(15)).build().maxOpenDuration())
            .isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void builderReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> CircuitBreakerConfig.builder(" ")
            .countWindow(0)
            .failureRateThreshold(0.0)
            .minimumCalls(0)
            .slowCalls(Duration.ofSeconds(-1), 1.5)
            .permittedCallsInHalfOpen(0)
            .openDuration(Duration.ofSeconds(10))
            .openDurationGrowth(0.5, Duration.ofSeconds(5))
            .build())
            .isInstanceOf(ConfigException.class)
            .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                "name: must not be blank",
                "windowSize: must be between 1 and 1000000, was 0",
                "failureRateThreshold: must be in (0, 1], was 0.0",
                "minimumCalls: must be between 1 and 1000000, was 0",
                "slowCallDuration: must be positive, was PT-1S",
                "slowCallRateThreshold: must be in (0, 1], was 1.5",
                "halfOpenCalls: must be between 1 and 10000, was 0",
                "openDurationMultiplier: must be between 1.0 and 100.0, was 0.5",
                "maxOpenDuration: must be at least openDuration (PT10S), was PT5S"));
    }

    @Test
    void fromOptionsRecordsEveryProblemWithoutThrowing() {
        Map<String, String> m = new HashMap<>();
        m.put("cb.windowType", "sliding");
        m.put("cb.windowSize", "-3");
        m.put("cb.failureRateThreshold", "0");
        m.put("cb.minimumCalls", "many");
        m.put("cb.openDuration", "10 parsecs");
        m.put("cb.openDurationMultiplier", "2");
        m.put("cb.maxOpenDuration", "500ms");
        m.put("cb.halfOpenCall", "3");
        m.put("other.key", "kept");
        Options o = Options.of(m);
        CircuitBreakerConfig c = CircuitBreakerConfig.fromOptions(o, "cb.");
        assertThat(c).isNull();
        assertThat(o.problems()).containsExactlyInAnyOrder(
            "cb.windowType: must be one of [count, time], was 'sliding'",
            "cb.windowSize: must be between 1 and 1000000, was '-3'",
            "cb.minimumCalls: must be a whole number, was 'many'",
            "cb.openDuration: must be a duration such as 250ms, 2s, 5m or PT2S, was '10 parsecs'",
            "cb.halfOpenCall: unknown option (did you mean cb.halfOpenCalls?)",
            "cb.failureRateThreshold: must be in (0, 1], was 0.0",
            "cb.maxOpenDuration: must be at least openDuration (PT1S), was PT0.5S");
        assertThatThrownBy(o::throwIfInvalid).isInstanceOf(ConfigException.class);
    }

    @Test
    void fromOptionsReadsHumanDurationsAndDefaultsTheNameFromThePrefix() {
        Options o = Options.of(Map.of(
            "breaker.windowType", "time",
            "breaker.windowDuration", "30s",
            "breaker.slowCallDuration", "250ms",
            "breaker.slowCallRateThreshold", "0.8",
            "breaker.halfOpenCalls", "2",
            "breaker.openDuration", "5s",
            "breaker.openDurationMultiplier", "2",
            "breaker.maxOpenDuration", "1m"));
        CircuitBreakerConfig c = CircuitBreakerConfig.fromOptions(o, "breaker.");
        assertThat(o.problems()).isEmpty();
        assertThat(c).isEqualTo(CircuitBreakerConfig.builder("breaker")
            .timeWindow(Duration.ofSeconds(30))
            .slowCalls(Duration.ofMillis(250), 0.8)
            .permittedCallsInHalfOpen(2)
            .openDuration(Duration.ofSeconds(5))
            .openDurationGrowth(2.0, Duration.ofMinutes(1))
            .build());
    }

    @Test
    void optionsRoundTrip() {
        for (CircuitBreakerConfig c : new CircuitBreakerConfig[] {full(), CircuitBreakerConfig.builder("d").build()}) {
            Options o = Options.of(c.toOptions("p.q."));
            CircuitBreakerConfig back = CircuitBreakerConfig.fromOptions(o, "p.q.");
            assertThat(o.problems()).isEmpty();
            assertThat(back).isEqualTo(c).hasSameHashCodeAs(c);
            assertThat(back.toOptions("")).isEqualTo(c.toOptions(""));
        }
        assertThat(full()).isNotEqualTo(full().toBuilder().minimumCalls(8).build());
        assertThat(full().toBuilder().build()).isEqualTo(full());
    }

    @Test
    void javaSerializationRoundTrip() throws Exception {
        CircuitBreakerConfig c = full();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        Object back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = in.readObject();
        }
        assertThat(back).isEqualTo(c).isNotSameAs(c);
        assertThat(((CircuitBreakerConfig) back).slowCallDurationThreshold()).contains(Duration.ofNanos(2_500_000_001L));
    }

    @Test
    void openDurationGrowthIsCapped() {
        CircuitBreakerConfig c = CircuitBreakerConfig.builder("g").openDuration(Duration.ofSeconds(10))
            .openDurationGrowth(3.0, Duration.ofMinutes(2)).build();
        assertThat(c.openDurationFor(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.openDurationFor(2)).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.openDurationFor(3)).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.openDurationFor(4)).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.openDurationFor(1_000)).isEqualTo(Duration.ofMinutes(2));
    }
}
