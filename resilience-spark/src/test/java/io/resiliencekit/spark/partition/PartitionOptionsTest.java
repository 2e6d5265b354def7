package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.ResiliencePolicy;
import io.resiliencekit.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Options, driver-side validation, report arithmetic and dead-letter round trips; no Spark job. */
class PartitionOptionsTest {

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThatThrownBy(() -> PartitionOptions.fromOptions(Map.of(
            "partition.batchSize", "0",
            "partition.continueOnError", "yes",
            "partition.jobId", "bad id!",
            "partition.batchsize", "3")))
            .isInstanceOf(ConfigException.class)
            .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                "partition.batchSize: must be between 1 and 100000, was '0'",
                "partition.continueOnError: must be true or false, was 'yes'",
                "partition.batchsize: unknown option (did you mean partition.batchSize?)",
                "partition.runId: is required when partition.idempotencyKeys is true "
                    + "(a logical run id such as a batch id; never wall-clock time or attempt numbers)",
                "partition.jobId: must be 1-200 letters, digits, '.', '_', ':' or '-', was 'bad id!'"));
    }

    @Test
    void continueOnErrorNeedsADeadLetterPath() {
        assertThatThrownBy(() -> PartitionOptions.builder().runId("r").continueOnError(true).build())
            .hasMessageContaining("partition.deadLetterPath: is required when partition.continueOnError is true");
    }

    @Test
    void optionsRoundTrip() {
        PartitionOptions o = PartitionOptions.builder().runId("2024-06-01").jobId("j").batchSize(50)
            .continueOnError(true).deadLetterPath("/tmp/dlq").metricsLog(false).keyNamespace("orders").build();
        assertThat(PartitionOptions.fromOptions(o.toOptions())).isEqualTo(o);
    }

    @Test
    void helperValidatesOptionsPolicyAndSerializabilityTogetherOnTheDriver() {
        Object notSerializable = new Object();
        PartitionOptions bad = PartitionOptions.builder().batchSize(0).buildUnchecked();
        assertThatThrownBy(() -> Partitions.<String>using(ResiliencePolicy.builder("p").config(), bad)
            .foreach(s -> notSerializable.hashCode()))
            .isInstanceOf(ConfigException.class)
            .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(3)
                .anySatisfy(p -> assertThat(p).startsWith("partition.runId"))
                .anySatisfy(p -> assertThat(p).startsWith("partition.batchSize"))
                .anySatisfy(p -> assertThat(p).startsWith("function: is not serializable")));
    }

    static PartitionMetrics line(int partition, int attempt, String status, long rows, long durationMs) {
        return new PartitionMetrics("p", "app", "job", "run", 1, 0, partition, attempt, 10L + partition, "1", status, null,
            rows, rows - 1, 1, 2, 1, 0, 5_000_000, 0, 0, durationMs * 1_000_000);
    }

    @Test
    void reportTotalsSkewAndSlowest() {
        PartitionReport r = PartitionReport.of(List.of(line(0, 0, "ok", 100, 10), line(1, 0, "failed", 40, 5),
            line(1, 1, "ok", 100, 12), line(2, 0, "ok", 400, 48)));
        assertThat(r.totals().rowsIn()).isEqualTo(640);
        assertThat(r.totals().succeeded()).isEqualTo(636);
        assertThat(r.totals().retried()).isEqualTo(8);
        assertThat(r.totals().throttleWaitMillis()).isEqualTo(20);
        assertThat(r.failedAttempts()).isEqualTo(1);
        assertThat(r.partitionsSucceeded()).isEqualTo(3);
        assertThat(r.rowSkew()).isEqualTo(4.0);           // 400 / median(100,100,400)
        assertThat(r.durationSkew()).isEqualTo(4.0);      // 48 / 12
        assertThat(r.slowest(1)).extracting(PartitionMetrics::partition).containsExactly(2);
        assertThat(line(0, 0, "ok", 100, 10).rowsPerSecond()).isEqualTo(10_000.0);
        assertThat(r.toJson()).contains("\"rowsIn\":640", "\"rowSkew\":4.0", "\"failedAttempts\":1");
    }

    @Test
    void deadLettersRoundTripThroughJsonLines(@TempDir Path dir) throws Exception {
        PartitionDeadLetter d = new PartitionDeadLetter("rk:r:o-1", "r", "app", 2, 3, 1, 17, "orders", "PERMANENT", 1,
            "io.resiliencekit.classify.HttpStatusException", "HTTP 400 \"bad\"\nline2", "trace\n\tat x", 1234L, "{\"id\":\"o-1\"}");
        Files.writeString(dir.resolve("part-00003-s2.jsonl"), d.toJson() + "\n" + d.toJson() + "\n");
        Files.createDirectories(dir.resolve("_tmp"));
        Files.writeString(dir.resolve("_tmp").resolve("orphan.jsonl"), d.toJson() + "\n");
        assertThat(DeadLetterFiles.read(dir)).containsExactly(d);   // de-duplicated, temp files ignored
    }
}
