package io.resiliencekit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.retry.RetryConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The schema mechanism itself, on a small schema of its own (the sections have their own tests). */
class OptionSchemaTest {

    /** A config of two values, to declare a schema for. */
    record Sample(int count, Duration pause, String token) {
    }

    static OptionSchema.Declarer<Sample> declarer() {
        return OptionSchema.declarer(Sample.class);
    }

    @Test
    void aSchemaParsesWritesBackAndMasksFromOneDeclaration() {
        OptionSchema.Declarer<Sample> d = declarer();
        OptionSchema.Option<Sample, Integer> count = d.option("count", OptionType.integer(1, 9), 3, Sample::count, "How many.");
        OptionSchema.Option<Sample, Duration> wait = d.option("wait", OptionType.duration(Duration.ZERO, Duration.ofMinutes(1)),
            Duration.ofSeconds(1), Sample::pause, "How long.");
        OptionSchema.Option<Sample, String> token = d.option("token", OptionType.text(), null, Sample::token, "A secret.")
            .secret();
        OptionSchema<Sample> schema = OptionSchema.<Sample>builder("Sample").addAll(d)
            .build(v -> new Sample(v.get(count), v.get(wait), v.get(token)));

        Sample s = schema.parse(Map.of("s.COUNT", "4", "s.wait", "PT2S", "s.token", "hunter2"), "s.");
        assertThat(s).isEqualTo(new Sample(4, Duration.ofSeconds(2), "hunter2"));
        assertThat(schema.toOptions(s, "s.")).containsExactly(Map.entry("s.count", "4"), Map.entry("s.wait", "2s"),
            Map.entry("s.token", "hunter2"));
        assertThat(schema.describe(s)).isEqualTo("{count=4, wait=2s, token=****}");
        assertThat(schema.keys("s.")).containsExactly("s.count", "s.wait", "s.token");
        assertThatThrownBy(() -> schema.parse(Map.of("s.count", "10", "s.wiat", "1s", "s.token", "a\u0000b"), "s."))
            .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                "s.count: must be between 1 and 9, was '10'",
                "s.token: must not contain control characters, was ****",
                "s.wiat: unknown option (did you mean s.wait?)"));
        assertThat(schema.markdown("s.", 2)).contains("| `s.token` | string | any text | none | yes | A secret. |");
    }

    @Test
    void aSchemaAndItsOptionsCannotChangeOnceBuilt() {
        OptionSchema.Declarer<Sample> d = declarer();
        OptionSchema.Option<Sample, Integer> count = d.option("count", OptionType.integer(1, 9), 3, Sample::count, "How many.");
        OptionSchema.<Sample>builder("Sample").addAll(d).build(v -> new Sample(v.get(count), Duration.ZERO, null));
        assertThatThrownBy(() -> count.secret()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> count.defaultDoc("x")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> d.option("more", OptionType.bool(), false, x -> true, "Late."))
            .isInstanceOf(IllegalStateException.class);
        // and the sections' schemas are built the same way
        assertThat(RetryConfig.optionSchema().keys("retry.")).contains("retry.maxAttempts", "retry.budget.ratio");
    }
}
