package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyBuilder;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterReader;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.InProgressMode;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.testkit.FlakyApiServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Done-when 2: each record's effect happens exactly once under Spark's own re-execution, in
 * {@code local-cluster[2,1,1024]} (two executor JVMs), on the module's shared cluster (plain plugin
 * conf). Speculation is not switched on: Spark never starts a speculative copy on a host where an
 * attempt already runs, and every executor here runs on 127.0.0.1, so the speculative twin is made
 * explicitly (the same run submitted twice at once, see {@code docs/architecture.md}).
 *
 * <p>Two layers, each tested: stable idempotency keys (business key + run id, never the attempt)
 * sent as {@code Idempotency-Key}, so a re-executed record reaches the API with the same key and the
 * API answers from its store (first three tests: replays > 0, effects once); and the plugin's
 * driver-hosted ledger ({@link ClusterLedgerStore}) claimed before each call, so the repeat never
 * leaves the executor (last three tests: zero replays, the skipped records counted exactly).
 */
class ExactlyOnceClusterTest {

    static final int N = 400;
    static final Set<String> POISON = Set.of("rec-13", "rec-222");

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
        .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS);   // task retries: Spark's default 4

    @TempDir
    Path tmp;

    /** Upstream of the helper in the same task: misbehaves on a chosen partition's first attempt. */
    enum Mischief { FAIL, SLOW, KILL_EXECUTOR }

    static MapPartitionsFunction<String, String> inject(Mischief what, int partition, int afterRecords) {
        return it -> new Iterator<>() {
            int n;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public String next() {
                TaskContext tc = TaskContext.get();
                if (tc.partitionId() == partition && tc.attemptNumber() == 0 && n++ == afterRecords) {
                    switch (what) {
                        case FAIL:
                            throw new IllegalStateException("injected task failure after " + afterRecords + " records");
                        case SLOW:
                            try {
                                Thread.sleep(4000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IllegalStateException("killed while slow", e);
                            }
                            break;
                        default:
                            Runtime.getRuntime().halt(137);   // the executor JVM dies mid-partition
                    }
                }
                return it.next();
            }
        };
    }

    Result runJob(Mischief what, int partition, int afterRecords) throws Exception {
        return runJob(what, partition, afterRecords, 1, false);
    }

    /** {@code copies > 1}: the same run is submitted that many times at once (twins); only the first misbehaves. */
    Result runJob(Mischief what, int partition, int afterRecords, int copies, boolean ledger) throws Exception {
        try (FlakyApiServer api = FlakyApiServer.builder().seed(11).randomUnavailable(0.02).poisonIds(POISON).start()) {
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri()).requestTimeout(Duration.ofSeconds(5)).build();
            ResiliencePolicyBuilder builder = ResiliencePolicy.builder("exactly-once-" + what.name().toLowerCase() + (ledger ? "-ledger" : ""))
                .retry(RetryConfig.builder().maxAttempts(6).backoff(Duration.ofMillis(5), 2.0, Duration.ofMillis(100)).noBudget().build());
            if (ledger) {
                // the application's idempotency ledger on the driver (plugin), claimed before each call
                builder.idempotency(IdempotencyConfig.builder().cluster()
                    .hold(Duration.ofSeconds(30)).inProgress(InProgressMode.WAIT).build());
            }
            ResiliencePolicyConfig policy = builder.config();
            PartitionOptions opts = PartitionOptions.builder().runId("eo-" + what + (ledger ? "-ledger" : "")).continueOnError(true)
                .deadLetterPath(tmp.resolve("dlq").toString()).build();
            PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(SPARK.spark().sparkContext(), "eo");
            AtomicInteger speculative = new AtomicInteger();
            SparkListener listener = new SparkListener() {
                @Override
                public void onTaskStart(SparkListenerTaskStart e) {
                    if (e.taskInfo().speculative()) {
                        speculative.incrementAndGet();
                    }
                }
            };
            SPARK.spark().sparkContext().addSparkListener(listener);
            ExecutorService driverThreads = Executors.newFixedThreadPool(copies);
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (int c = 0; c < copies; c++) {
                    int copy = c;
                    jobs.add(driverThreads.submit(() -> {
                        Dataset<String> records = SPARK.spark().range(0, N, 1, 4)
                            .map((MapFunction<Long, String>) n -> "rec-" + n, Encoders.STRING())
                            .mapPartitions(inject(what, copy == 0 ? partition : -1, afterRecords), Encoders.STRING());
                        records.foreachPartition(Partitions.<String>using(policy, opts).metrics(acc).keyBy(id -> id)
                            .foreach(id -> client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}",
                                Partitions.currentIdempotencyKey())));
                    }));
                }
                for (Future<?> f : jobs) {
                    f.get(2, TimeUnit.MINUTES);
                }
            } finally {
                driverThreads.shutdownNow();
                SPARK.spark().sparkContext().removeSparkListener(listener);
            }
            return new Result(api.effectsPerRecordId(), api.duplicateEffectCount(), api.duplicateKeysSeen(),
                DeadLetterFiles.read(tmp.resolve("dlq")), DeadLetterReader.files(tmp.resolve("dlq")).readAll(),
                PartitionReport.of(acc.value()), speculative.get());
        }
    }

    record Result(Map<String, Integer> effects, long duplicateEffects, long replays, List<DeadLetter> dead, List<DeadLetter> published,
                  PartitionReport report, int speculativeTasks) {

        void assertExactlyOnce() {
            assertThat(effects).hasSize(N - POISON.size());
            assertThat(effects).allSatisfy((id, n) -> assertThat(n).as("effects of " + id).isEqualTo(1));
            assertThat(duplicateEffects).isZero();
            String run = dead.get(0).source().run();
            assertThat(dead).extracting(DeadLetter::key).containsExactlyInAnyOrder("rk:" + run + ":rec-13", "rk:" + run + ":rec-222");
            assertThat(dead).allSatisfy(d -> {
                assertThat(d.verifyChecksum()).isTrue();
                assertThat(d.source().partition()).isNotNull();
                assertThat(d.source().offset()).isNotNull();
            });
            assertThat(effects.size() + dead.size()).as("delivered + dead-lettered = input").isEqualTo(N);
        }
    }

    @Test
    void taskFailingMidPartitionIsRetriedWithoutDuplicateEffects() throws Exception {
        Result r = runJob(Mischief.FAIL, 1, 40);
        r.assertExactlyOnce();
        assertThat(r.replays()).as("the retry re-sent the 40 records done before the failure").isGreaterThanOrEqualTo(40);
        assertThat(r.report().failedAttempts()).isGreaterThanOrEqualTo(1);
        assertThat(r.report().lines()).anySatisfy(m -> {
            assertThat(m.partition()).isEqualTo(1);
            assertThat(m.status()).isEqualTo("failed");
            assertThat(m.rowsIn()).isEqualTo(40);
        });
    }

    /**
     * Spark never places a speculative copy on a host where the original runs, and local-cluster has
     * one host (with speculation on, {@code speculativeTasks} stayed 0), so speculation is off and the twin
     * is made explicit: the same run (same runId, same data) is submitted twice at once, the first
     * copy slow in partition 2; both copies call with the same keys, at the same time.
     */
    @Test
    void speculativeTwinOfASlowTaskDoesNotDuplicateEffects() throws Exception {
        Result r = runJob(Mischief.SLOW, 2, 50, 2, false);
        r.assertExactlyOnce();
        assertThat(r.report().partitionsSucceeded()).as("both copies ran every partition").isEqualTo(8);
        assertThat(r.replays()).as("the twin's calls reached the API and were deduplicated there")
            .isGreaterThanOrEqualTo(N - POISON.size());
    }

    @Test
    void executorKilledMidJobDoesNotDuplicateEffects() throws Exception {
        Result r = runJob(Mischief.KILL_EXECUTOR, 0, 60);
        r.assertExactlyOnce();
        // records 0..59 went out before the JVM died (rec-13 is poison: a 400 is not stored, so 59 replays)
        assertThat(r.replays()).as("records sent before the kill were sent again").isGreaterThanOrEqualTo(59);
        // the killed attempt's own line died with its JVM: the driver reports it as lost, with Spark's reason
        assertThat(r.report().lines()).filteredOn(m -> m.partition() == 0 && m.attempt() == 0).singleElement()
            .satisfies(m -> {
                assertThat(m.status()).isEqualTo("lost");
                assertThat(m.error()).isEqualTo("org.apache.spark.ExecutorLostFailure");
                assertThat(m.rowsIn()).isZero();
            });
        assertThat(r.report().lostAttempts()).isEqualTo(1);
        // the killed attempt had dead-lettered rec-13 before it died: never published, only the retry's letter is
        assertThat(r.published()).hasSize(POISON.size());
        assertThat(r.published()).filteredOn(d -> d.key().endsWith(":rec-13")).singleElement()
            .satisfies(d -> assertThat(d.source().attempt()).isGreaterThanOrEqualTo(1));
        assertThat(r.report().lines()).anySatisfy(m -> {
            assertThat(m.partition()).isEqualTo(0);
            assertThat(m.attempt()).isGreaterThanOrEqualTo(1);
            assertThat(m.ok()).isTrue();
        });
    }

    // ---- the same faults with the driver-hosted ledger: repeated calls stop before they leave the executor

    @Test
    void withTheLedgerARetriedTaskSkipsWhatTheFailedAttemptCompleted() throws Exception {
        Result r = runJob(Mischief.FAIL, 1, 40, 1, true);
        r.assertExactlyOnce();
        assertThat(r.replays()).as("no record reached the API twice").isZero();
        // partition 1 (rec-100..199, no poison) had completed 40 records when its attempt failed
        assertThat(r.report().totals().duplicatesSkipped()).isEqualTo(40);
    }

    @Test
    void withTheLedgerAConcurrentTwinWaitsOrSkipsInsteadOfCalling() throws Exception {
        Result r = runJob(Mischief.SLOW, 2, 50, 2, true);
        r.assertExactlyOnce();
        assertThat(r.replays()).as("no record reached the API twice").isZero();
        // every good record was called by one copy and skipped by the other; poison is called by both
        assertThat(r.report().totals().duplicatesSkipped()).isEqualTo(N - POISON.size());
    }

    @Test
    void withTheLedgerAKilledExecutorsCompletedRecordsAreSkipped() throws Exception {
        Result r = runJob(Mischief.KILL_EXECUTOR, 0, 60, 1, true);
        r.assertExactlyOnce();
        assertThat(r.replays()).as("no record reached the API twice").isZero();
        assertThat(r.report().totals().duplicatesSkipped()).isEqualTo(59);   // rec-0..59 except poison rec-13
    }
}
