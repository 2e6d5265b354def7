package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterReader;
import io.resiliencekit.deadletter.JsonLinesDeadLetterSink;
import io.resiliencekit.deadletter.SourcePosition;
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
        PartitionOptions fixed = o.toBuilder().concurrency(8).outageMaxWait(java.time.Duration.ofSeconds(30)).build();
        assertThat(PartitionOptions.fromOptions(fixed.toOptions())).isEqualTo(fixed);
    }

    @Test
    void concurrencyIsAutoOrANumberAndTheOutageWaitADuration() {
        PartitionOptions defaults = PartitionOptions.fromOptions(Map.of("partition.runId", "r"));
        assertThat(defaults.concurrency()).isEqualTo(PartitionOptions.AUTO);
        assertThat(defaults.toOptions()).containsEntry("partition.concurrency", "auto")
            .containsEntry("partition.outageMaxWait", "5m");
        assertThat(PartitionOptions.fromOptions(Map.of("partition.runId", "r", "partition.concurrency", "16")).concurrency())
            .isEqualTo(16);
        assertThat(PartitionOptions.fromOptions(Map.of("partition.runId", "r", "partition.outageMaxWait", "0s"))
            .outageMaxWait()).isZero();
        assertThatThrownBy(() -> PartitionOptions.fromOptions(Map.of("partition.runId", "r",
            "partition.concurrency", "lots", "partition.outageMaxWait", "-1s")))
            .isInstanceOf(ConfigException.class)
            .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(2)
                .anyMatch(p -> p.startsWith("partition.concurrency:"))
                .anyMatch(p -> p.startsWith("partition.outageMaxWait:")));
        assertThatThrownBy(() -> PartitionOptions.builder().runId("r").concurrency(257).build())
            .hasMessageContaining("partition.concurrency: must be auto or a whole number between 1 and 256");
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

    static DeadLetter letter(int attempt, long failedAt) {
        return DeadLetter.builder().key("rk:r:o-1").payload("{\"id\":\"o-1\",\"password\":\"hunter2\"}")
            .failure(new io.resiliencekit.classify.PermanentFailureException("HTTP 400 \"bad\"\nline2 token=abc123"),
                io.resiliencekit.classify.FailureClassifier.defaults(), failedAt)
            .failedAt(failedAt)
            .source(SourcePosition.builder().run("r").stage(2).partition(3).attempt(attempt).offset(17L).build()).build();
    }

    /** Two attempts that both succeeded (twins) and one that failed: one letter per record, checksums verified. */
    @Test
    void deadLettersAreCoreRecordsOnePerRecordAcrossAttempts(@TempDir Path dir) throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            try (JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).prefix("part")
                .writerId("00003-s2-t" + attempt).maxRecordsPerFile(Integer.MAX_VALUE).build()) {
                sink.write(letter(attempt, 1000L + attempt));
                if (attempt == 2) {
                    assertThat(sink.abort()).isEqualTo(1);   // the failed attempt: never visible
                }
            }
        }
        assertThat(DeadLetterReader.files(dir).readAll()).hasSize(2);   // both twins' files
        List<DeadLetter> dead = DeadLetterFiles.read(dir);
        assertThat(dead).hasSize(1);
        DeadLetter d = dead.get(0);
        assertThat(d.verifyChecksum()).isTrue();
        assertThat(d.source().attempt()).isEqualTo(1);                   // the one that failed last
        assertThat(d.source()).isEqualTo(SourcePosition.builder().run("r").stage(2).partition(3).attempt(1).offset(17L).build());
        assertThat(d.classification()).isEqualTo("PERMANENT");
        assertThat(d.message()).contains("HTTP 400").doesNotContain("abc123");   // redacted by default
        assertThat((String) d.payload()).contains("o-1").doesNotContain("hunter2");
        assertThat(DeadLetterFiles.read(dir.resolve("missing"))).isEmpty();

        // a tampered file is reported, never silently read
        Path f = Files.list(dir).filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().findFirst().orElseThrow();
        Files.writeString(f, Files.readString(f).replace("\"offset\":17", "\"offset\":18"));
        assertThatThrownBy(() -> DeadLetterFiles.read(dir)).hasMessageContaining("checksum mismatch");
    }
}
