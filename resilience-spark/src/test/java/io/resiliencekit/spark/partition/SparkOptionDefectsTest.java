package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.spark.cluster.PluginOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the Options group of issue 13 that concern the Spark module's options
 * (C2, C3, C4, C5); no Spark job. Settings: documented defaults plus the option under test.
 */
class SparkOptionDefectsTest {

    private static ConfigException partitionRejects(Map<String, String> options) {
        try {
            PartitionOptions.fromOptions(options);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("accepted: " + options);
    }

    private static Map<String, String> deadLettersAt(String path) {
        return Map.of("partition.runId", "2024-06-01", "partition.continueOnError", "true", "partition.deadLetterPath", path);
    }

    @Test
    void C2_deadLetterPathWithControlCharactersIsRejected() {
        for (String path : List.of("/tmp/dlq\u0000x", "/tmp/dl\nq", "/tmp/\u001bdlq")) {
            assertThat(partitionRejects(deadLettersAt(path)).problems()).singleElement().asString()
                .startsWith("partition.deadLetterPath:").doesNotContain("\u0000").doesNotContain("\n").doesNotContain("\u001b");
            assertThatThrownBy(() -> PartitionOptions.builder().runId("2024-06-01").continueOnError(true).deadLetterPath(path)
                .build()).isInstanceOf(ConfigException.class).hasMessageContaining("partition.deadLetterPath");
        }
    }

    @Test
    void C2_schemeWithoutAHadoopFileSystemIsRejectedByName() {
        // plain Spark has no file system for s3:// (hadoop-aws serves s3a://): say so on the driver
        assertThat(partitionRejects(deadLettersAt("s3://bucket/dlq")).problems()).singleElement().asString()
            .startsWith("partition.deadLetterPath:").contains("'s3'");
        assertThat(partitionRejects(deadLettersAt("nosuchfs://bucket/dlq")).problems()).singleElement().asString()
            .startsWith("partition.deadLetterPath:").contains("'nosuchfs'");
        // the schemes Spark ships a file system for are accepted
        for (String ok : List.of("file:///tmp/dlq", "/tmp/dlq", "relative/dlq")) {
            assertThat(PartitionOptions.fromOptions(deadLettersAt(ok)).deadLetterPath()).isEqualTo(ok);
        }
    }

    @Test
    void C3_runIdThatLooksLikeWallClockOrAnAttemptIsRejected() {
        for (String runId : List.of("1764590000000", "attempt-2", "2024-06-01T10:00:00.123", "1764590000.123")) {
            assertThat(partitionRejects(Map.of("partition.runId", runId)).problems()).as(runId).singleElement().asString()
                .startsWith("partition.runId:");
            assertThatThrownBy(() -> PartitionOptions.builder().runId(runId).build()).as(runId)
                .isInstanceOf(ConfigException.class).hasMessageContaining("partition.runId");
        }
        assertThat(PartitionOptions.fromOptions(Map.of("partition.runId", "2024-06-01T10:00")).runId()).isEqualTo("2024-06-01T10:00");
    }

    @Test
    void C3_runIdTooLongForItsKeysIsRejected() {
        assertThat(partitionRejects(Map.of("partition.runId", "r".repeat(200))).problems()).singleElement().asString()
            .startsWith("partition.runId:");
        // a long namespace and run id that together would overflow the key are rejected too
        assertThat(partitionRejects(Map.of("partition.runId", "r".repeat(120), "partition.keyNamespace", "n".repeat(60)))
            .problems()).isNotEmpty().allSatisfy(p -> assertThat(p).containsAnyOf("partition.runId", "partition.keyNamespace"));
    }

    @Test
    void C4_nullKeyIsAProblemNotANullPointerException() {
        Map<String, String> m = new HashMap<>();
        m.put("partition.runId", "r");
        m.put(null, "x");
        assertThatThrownBy(() -> PartitionOptions.fromOptions(m)).isInstanceOf(ConfigException.class).hasMessageContaining("null");
        Map<String, String> conf = new HashMap<>();
        conf.put("spark.resiliencekit.rpc.threads", "2");
        conf.put(null, "x");
        assertThatThrownBy(() -> PluginOptions.fromOptions(conf)).isInstanceOf(ConfigException.class).hasMessageContaining("null");
    }

    @Test
    void C5_burstWithoutRateStillReportsTheBadBurst() {
        assertThatThrownBy(() -> PluginOptions.fromOptions(Map.of("spark.resiliencekit.limiter.api.burst", "-5")))
            .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                "spark.resiliencekit.limiter.api.rate: is required when spark.resiliencekit.limiter.api.burst is set",
                "spark.resiliencekit.limiter.api.burst: must be between 1 and 2305843009213693951, was '-5'"));
    }
}
