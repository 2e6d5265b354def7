package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterReader;
import io.resiliencekit.deadletter.SourcePosition;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.testkit.FlakyApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/**
 * The helpers in real Spark, {@code local[2,3]} (two task threads, up to 3 attempts per task, so
 * task retries happen in one JVM where static counters can watch resources and lines).
 */
class PartitionHelpersLocalTest {

    static SparkSession spark;
    static JavaSparkContext jsc;
    // per tag (one tag per test), so a straggling task of an earlier test's failed job cannot skew counts
    static final Map<String, AtomicInteger> OPENED = new java.util.concurrent.ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> CLOSED = new java.util.concurrent.ConcurrentHashMap<>();
    static final AtomicInteger CALLS_P0 = new AtomicInteger();
    final List<PartitionMetrics> lines = new CopyOnWriteArrayList<>();
    final Consumer<PartitionMetrics> listener = lines::add;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().config(new SparkConf().setMaster("local[2,3]").setAppName("PartitionHelpersLocalTest")
            .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
            .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
            .set("spark.sql.shuffle.partitions", "4")).getOrCreate();
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    @BeforeEach
    void listen() {
        PartitionMetricsLog.addListener(listener);
    }

    @AfterEach
    void unlisten() {
        PartitionMetricsLog.removeListener(listener);
    }

    static Dataset<String> ids(int n, int partitions) {
        List<String> ids = IntStream.range(0, n).mapToObj(i -> "r-" + i).collect(Collectors.toList());
        return spark.createDataset(ids, Encoders.STRING()).repartition(partitions);
    }

    static ResiliencePolicyConfig retrying(String name) {
        return ResiliencePolicy.builder(name)
            .retry(RetryConfig.builder().maxAttempts(4).backoff(Duration.ofMillis(1), 2.0, Duration.ofMillis(5)).seed(1L).noBudget().build())
            .config();
    }

    static ResourceFactory<AutoCloseable> countedResource(String tag) {
        return info -> {
            OPENED.computeIfAbsent(tag, t -> new AtomicInteger()).incrementAndGet();
            return () -> CLOSED.computeIfAbsent(tag, t -> new AtomicInteger()).incrementAndGet();
        };
    }

    static int opened(String tag) {
        return OPENED.getOrDefault(tag, new AtomicInteger()).get();
    }

    static int closed(String tag) {
        return CLOSED.getOrDefault(tag, new AtomicInteger()).get();
    }

    /** This policy's lines, once every attempt's line has also reached the driver (bounded wait). */
    List<PartitionMetrics> linesOf(String policy, PartitionMetricsAccumulator acc) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<PartitionMetrics> mine = lines.stream().filter(m -> m.policy().equals(policy)).toList();
            // a failed job returns as soon as the stage aborts; tasks still running end shortly after, and
            // their lines reach the log and the driver's accumulator in either order: wait for the same
            // lines on both sides, not merely as many
            if ((new java.util.HashSet<>(mine).equals(new java.util.HashSet<>(acc.value()))
                    && spark.sparkContext().statusTracker().getActiveStageIds().length == 0)
                || System.nanoTime() > deadline) {
                return mine;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void continueOnErrorDeadLettersPoisonRecordsAndReportsEveryPartition() {
        PartitionOptions opts = PartitionOptions.builder().runId("run-1").continueOnError(true)
            .deadLetterPath(tmp.resolve("dlq").toString()).jobId("orders-job").build();
        PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "coe");
        MapPartitionsFunction<String, String> fn = Partitions.<String>using(retrying("coe"), opts).metrics(acc)
            .payloadBy(s -> s)
            .map(countedResource("coe"), (res, id) -> {
                if (id.endsWith("7") && id.length() == 4) {      // r-07.. : r-17, r-27, ... 9 poison records under 100
                    throw new io.resiliencekit.classify.PermanentFailureException("bad record " + id);
                }
                return id + "@" + MDC.get("partition") + "/" + MDC.get("jobId");
            });

        List<String> out = ids(100, 4).mapPartitions(fn, Encoders.STRING()).collectAsList();

        List<String> poison = IntStream.range(0, 100).mapToObj(i -> "r-" + i).filter(s -> s.endsWith("7") && s.length() == 4).toList();
        assertThat(poison).hasSize(9);
        assertThat(out).hasSize(91);
        assertThat(out).allSatisfy(s -> assertThat(s).matches("r-\\d+@[0-3]/orders-job"));
        List<DeadLetter> dead = DeadLetterFiles.read(tmp.resolve("dlq"));
        assertThat(dead).extracting(DeadLetter::payload).containsExactlyInAnyOrderElementsOf(poison);
        // the helpers write core dead letters: DeadLetterReader reads them as they are, checksums verified
        assertThat(DeadLetterReader.files(tmp.resolve("dlq")).readAll()).containsExactlyInAnyOrderElementsOf(dead);
        assertThat(dead).allSatisfy(d -> {
            assertThat(d.verifyChecksum()).isTrue();
            SourcePosition at = d.source();
            assertThat(at.run()).isEqualTo("run-1");
            assertThat(at.stage()).isNotNull().isGreaterThanOrEqualTo(0);
            assertThat(at.partition()).isBetween(0, 3);
            assertThat(at.attempt()).isZero();
            assertThat(at.offset()).isBetween(0L, 99L);     // position within the partition
            assertThat(d.key()).startsWith("rk:run-1:p" + at.partition() + ":");
            assertThat(d.classification()).isEqualTo("PERMANENT");
            assertThat(d.errorClass()).isEqualTo(io.resiliencekit.classify.PermanentFailureException.class.getName());
            assertThat(d.message()).isEqualTo("permanent failure: bad record " + d.payload());   // why, then the error
            assertThat(d.stackTrace()).contains("PermanentFailureException", "\tat ");
            assertThat(d.attempts()).isEqualTo(1);          // permanent: not retried
            assertThat(d.firstFailureEpochMillis()).isPositive().isEqualTo(d.lastFailureEpochMillis());
        });
        assertThat(dead).extracting(d -> d.source().partition() + "@" + d.source().offset()).doesNotHaveDuplicates();
        PartitionReport report = PartitionReport.of(acc.value());
        assertThat(report.attempts()).isEqualTo(4);
        assertThat(report.totals().rowsIn()).isEqualTo(100);
        assertThat(report.totals().succeeded()).isEqualTo(91);
        assertThat(report.totals().failed()).isEqualTo(9);
        assertThat(report.totals().deadLettered()).isEqualTo(9);
        assertThat(opened("coe")).isEqualTo(4);
        assertThat(closed("coe")).isEqualTo(4);
        assertThat(lines.stream().filter(m -> m.policy().equals("coe"))).hasSize(4).allSatisfy(m -> assertThat(m.toJson()).contains("\"status\":\"ok\"", "\"jobId\":\"orders-job\""));
    }

    @Test
    void failingPartitionStillWritesItsLineAndReportTotalsEqualTheSumOfLines() throws Exception {
        PartitionOptions opts = PartitionOptions.builder().runId("run-2").build();
        PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "fail");
        ForeachPartitionFunction<String> fn = Partitions.<String>using(retrying("fail"), opts).metrics(acc)
            .keyBy(id -> id)
            .foreach(countedResource("fail"), (res, id) -> {
                if (id.equals("r-42")) {
                    throw new io.resiliencekit.classify.PermanentFailureException("rejected payload password=hunter2");
                }
                return null;
            });

        Dataset<String> data = ids(200, 4);
        assertThatThrownBy(() -> data.foreachPartition(fn))
            .hasMessageContaining("key rk:run-2:r-42")
            .hasMessageContaining("of partition ");

        // the poison partition fails 3 times (local[2,3]) and writes a line each time; the other
        // partitions succeed, or are killed when the stage aborts, and write theirs too
        List<PartitionMetrics> mine = linesOf("fail", acc);
        List<PartitionMetrics> failed = mine.stream().filter(m -> m.failed() > 0).toList();
        assertThat(failed).hasSize(3).allSatisfy(m -> {
            assertThat(m.status()).isEqualTo("failed");
            assertThat(m.failed()).isEqualTo(1);
            assertThat(m.rowsIn()).isEqualTo(m.succeeded() + 1);   // stopped at the poison record
            assertThat(m.toJson()).doesNotContain("hunter2");
        });
        assertThat(failed).extracting(PartitionMetrics::attempt).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(mine.size()).isBetween(4, 6);
        assertThat(opened("fail")).isEqualTo(mine.size());
        assertThat(closed("fail")).isEqualTo(mine.size());

        PartitionReport report = PartitionReport.of(acc.value());
        // Every failed attempt's line reached the driver. A task that succeeds after the job has
        // already failed logs its line, but Spark's DAGScheduler ignores the accumulator update of a
        // result task whose job has finished, so such a line may be in the log only (a race that a
        // loaded machine loses more often).
        assertThat(report.lines()).containsAll(failed);
        assertThat(mine).containsAll(report.lines());
        assertThat(report.failedAttempts()).isEqualTo(report.lines().stream().filter(m -> !m.ok()).count()).isGreaterThanOrEqualTo(3);
        List<PartitionMetrics> reported = report.lines();
        PartitionMetrics t = report.totals();
        assertThat(t.rowsIn()).isEqualTo(reported.stream().mapToLong(PartitionMetrics::rowsIn).sum());
        assertThat(t.succeeded()).isEqualTo(reported.stream().mapToLong(PartitionMetrics::succeeded).sum());
        assertThat(t.failed()).isEqualTo(reported.stream().mapToLong(PartitionMetrics::failed).sum()).isEqualTo(3);
        assertThat(t.retried()).isEqualTo(reported.stream().mapToLong(PartitionMetrics::retried).sum());
        assertThat(t.durationNanos()).isEqualTo(reported.stream().mapToLong(PartitionMetrics::durationNanos).sum());
    }

    @Test
    void retriesAreCountedPerPartitionAndEveryRecordTakesEffectOnce() throws Exception {
        try (FlakyApiServer api = FlakyApiServer.builder().seed(3).failFirstPerKey(1, Fault.UNAVAILABLE).start()) {
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri()).requestTimeout(Duration.ofSeconds(5)).build();
            PartitionOptions opts = PartitionOptions.builder().runId("run-3").build();
            PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "api");
            ids(300, 3).foreachPartition(Partitions.<String>using(retrying("api"), opts).metrics(acc).keyBy(id -> id)
                .foreach(id -> client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}", Partitions.currentIdempotencyKey())));

            PartitionReport report = PartitionReport.of(acc.value());
            assertThat(report.totals().rowsIn()).isEqualTo(300);
            assertThat(report.totals().succeeded()).isEqualTo(300);
            assertThat(report.totals().retried()).isEqualTo(300);    // each key's first attempt got 503
            assertThat(api.effectsPerRecordId()).hasSize(300).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
            assertThat(api.effectsPerKey().keySet()).allSatisfy(k -> assertThat(k).startsWith("rk:run-3:r-"));
        }
    }

    @Test
    void retriedTaskSkipsRecordsAlreadyDoneThroughTheGuard() throws Exception {
        InJvmGuard.STATE.clear();
        CALLS_P0.set(0);
        try (FlakyApiServer api = FlakyApiServer.builder().seed(4).start()) {
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri()).build();
            ResiliencePolicyConfig guarded = ResiliencePolicy.builder("guarded").noRetry().idempotency(InJvmGuard.factory()).config();
            PartitionOptions opts = PartitionOptions.builder().runId("run-4").build();
            PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "guarded");
            ids(200, 2).foreachPartition(Partitions.<String>using(guarded, opts).metrics(acc)
                .foreach(id -> {
                    TaskContext tc = TaskContext.get();
                    String out = client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}", Partitions.currentIdempotencyKey());
                    if (tc.partitionId() == 0 && tc.attemptNumber() == 0 && CALLS_P0.incrementAndGet() >= 30) {
                        // the attempt dies here: a failure that is final at once (a transient one would be called again)
                        throw new io.resiliencekit.classify.PermanentFailureException("executor lost mid-partition (simulated)");
                    }
                    return out;
                }));

            PartitionReport report = PartitionReport.of(acc.value());
            assertThat(report.failedAttempts()).isEqualTo(1);
            assertThat(api.effectsPerRecordId()).hasSize(200).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
            // only the record in flight when the attempt died (effect made, claim released) is sent again,
            // and the API's Idempotency-Key dedup absorbs it; every completed record is skipped
            assertThat(api.duplicateKeysSeen()).as("calls repeated by the retry").isEqualTo(1);
            long skipped = report.totals().duplicatesSkipped();
            assertThat(skipped).isGreaterThan(0);
            // the retry skipped exactly what the failed attempt had completed (its failing record was released)
            PartitionMetrics failedLine = report.lines().stream().filter(m -> !m.ok()).findFirst().orElseThrow();
            assertThat(skipped).isEqualTo(failedLine.succeeded());
        }
    }

    @Test
    void batchesMakeOneCallPerBatchAndKeepOutputs() {
        PartitionOptions opts = PartitionOptions.builder().runId("run-5").batchSize(16).build();
        PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "batch");
        AtomicInteger unused = new AtomicInteger();
        List<Integer> sizes = ids(100, 2).mapPartitions(Partitions.<String>using(retrying("batch"), opts).metrics(acc)
                .mapBatches(countedResource("batch"), (res, batch) -> List.of(batch.size())), Encoders.INT())
            .collectAsList();
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
        assertThat(sizes).allSatisfy(s -> assertThat(s).isBetween(1, 16));
        assertThat(PartitionReport.of(acc.value()).totals().succeeded()).isEqualTo(100);
        assertThat(closed("batch")).isEqualTo(2);
        assertThat(unused.get()).isZero();
    }

    @Test
    void javaRddFormsWork() {
        PartitionOptions opts = PartitionOptions.builder().idempotencyKeys(false).build();
        List<Integer> doubled = jsc.parallelize(List.of(1, 2, 3, 4, 5, 6), 3)
            .mapPartitions(Partitions.<Integer>using(retrying("rdd"), opts).mapRdd(i -> i * 2)).collect();
        assertThat(doubled).containsExactly(2, 4, 6, 8, 10, 12);
        List<Integer> seen = new ArrayList<>();
        jsc.parallelize(List.of(1, 2, 3), 1).foreachPartition(Partitions.<Integer>using(retrying("rdd"), opts)
            .foreachRdd(countedResource("rdd"), (r, i) -> i));
        assertThat(closed("rdd")).isEqualTo(1);
        assertThat(seen).isEmpty();
    }

    @Test
    void downstreamFailureStillClosesTheResourceAndWritesTheLine() {
        PartitionOptions opts = PartitionOptions.builder().idempotencyKeys(false).build();
        MapPartitionsFunction<String, String> fn = Partitions.<String>using(retrying("down"), opts)
            .map(countedResource("down"), (r, s) -> s);
        assertThatThrownBy(() -> ids(10, 1).mapPartitions(fn, Encoders.STRING())
            .map((org.apache.spark.api.java.function.MapFunction<String, String>) s -> {
                throw new IllegalStateException("downstream");
            }, Encoders.STRING()).collectAsList()).hasMessageContaining("downstream");
        assertThat(closed("down")).isEqualTo(opened("down")).isEqualTo(3);
        assertThat(lines.stream().filter(m -> m.policy().equals("down")))
            .hasSize(3).allSatisfy(m -> assertThat(m.status()).isEqualTo("failed"));
    }

    // keep imports honest
    @SuppressWarnings("unused")
    private static final Class<?>[] USED = {Files.class, Map.class};
}
