package io.resiliencekit.spark.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.TaskContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.CallContext;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.spark.cluster.ServiceKey;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.testkit.FlakyApiServer;

/**
 * The application-wide ledger in local-cluster: a task that fails mid-partition is retried (by
 * Spark, on whichever executor), and no record it already sent is sent again, because the retry
 * claims each key in the driver's ledger and finds it completed.
 */
class ClusterLedgerDistributedTest {

    static final int RECORDS = 200;
    static final int PARTITIONS = 4;

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS)
            .conf("spark.task.maxFailures", "4")
            // a failed task is not retried on the executor it failed on: the retry runs in the other JVM
            .conf("spark.excludeOnFailure.enabled", "true")
            .conf("spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor", "1")
            // both executors share one host, and each fails two tasks on purpose: no wider exclusion
            .conf("spark.excludeOnFailure.task.maxTaskAttemptsPerNode", "3")
            .conf("spark.excludeOnFailure.stage.maxFailedTasksPerExecutor", "10")
            .conf("spark.excludeOnFailure.stage.maxFailedExecutorsPerNode", "10")
            .conf("spark.excludeOnFailure.application.maxFailedTasksPerExecutor", "10")
            .conf("spark.excludeOnFailure.application.maxFailedExecutorsPerNode", "10")
            .conf("spark.scheduler.excludeOnFailure.unschedulableTaskSetTimeout", "10s");

    static final ServiceKey<String, String> ATTEMPTS = ServiceKey.of("ledger.attempts", String.class, String.class);
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void recordAttempts() {
        ResilienceCluster.driverServices().register(ATTEMPTS, (caller, what) -> {
            SEEN.add(what + "@" + caller);
            return "ok";
        });
    }

    @Test
    void aTaskRetriedMidPartitionSendsNothingTwice() throws Exception {
        IdempotencyConfig appLedger = IdempotencyConfig.builder()
                .cluster()
                .hold(Duration.ofMinutes(1))
                .build();
        long[] cluster = run("ledger-api", appLedger, "run-1");
        DriverLedger ledger = ResilienceCluster.driverServices().component(DriverLedger.class).orElseThrow();
        System.out.printf("driver ledger: records %d, API received %d, accepted %d, ledger hits (duplicates skipped) %d, keys %d%n",
                RECORDS, cluster[0], cluster[1], ledger.hits(), ledger.keys());
        System.out.println("attempts (partition/attempt@executor): " + new java.util.TreeSet<>(SEEN));
        for (int p = 0; p < PARTITIONS; p++) {
            String first = executorOf(p + "/0");
            String retry = executorOf(p + "/1");
            assertThat(retry).as("partition " + p + " retried in the other executor JVM").isNotNull().isNotEqualTo(first);
        }
        assertThat(cluster[0]).as("no record reached the API twice").isEqualTo(RECORDS);
        assertThat(cluster[1]).isEqualTo(RECORDS);
        assertThat(cluster[2]).as("every key's effect once").isEqualTo(1);
        assertThat(ledger.hits()).as("each failed attempt's records were skipped on retry")
                .isEqualTo((long) PARTITIONS * ((RECORDS / PARTITIONS) / 2));

        // control: the same job with a per-JVM in-memory store sends the failed attempts' records again
        IdempotencyConfig perJvm = IdempotencyConfig.builder().memory("per-jvm").hold(Duration.ofMinutes(1)).build();
        long[] local = run("per-jvm-api", perJvm, "run-1");
        System.out.printf("per-JVM store: API received %d for %d records%n", local[0], RECORDS);
        assertThat(local[0]).as("retries in the other JVM repeat the calls").isEqualTo(RECORDS + (long) PARTITIONS * ((RECORDS / PARTITIONS) / 2));
    }

    /** Returns {received, accepted, max effects per key} at a fresh simulator. */
    private long[] run(String policyName, IdempotencyConfig idem, String runId) throws Exception {
        ResiliencePolicyConfig config = ResiliencePolicy.builder(policyName).idempotency(idem).config();
        try (FlakyApiServer server = FlakyApiServer.builder().start()) {
            HttpJsonClient api = HttpJsonClient.builder().baseUri(server.baseUri())
                    .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(5)).build();
            List<Integer> ids = IntStream.range(0, RECORDS).boxed().collect(Collectors.toList());
            List<String> out = SPARK.jsc().parallelize(ids, PARTITIONS).mapPartitions((Iterator<Integer> it) -> {
                ResiliencePolicy policy = ResilienceCluster.policy(config);
                TaskContext tc = TaskContext.get();
                ResilienceCluster.coordinator().orElseThrow().ask(ATTEMPTS, tc.partitionId() + "/" + tc.attemptNumber());
                List<String> rows = new ArrayList<>();
                int done = 0;
                while (it.hasNext()) {
                    int id = it.next();
                    // key from the run and the record, never from the attempt
                    String key = runId + ":r-" + id;
                    rows.add(policy.call(CallContext.ofKey(key), () -> api.post("/records", "{\"id\":\"r-" + id + "\"}", key)));
                    done++;
                    if (tc.attemptNumber() == 0 && done == (RECORDS / PARTITIONS) / 2) {
                        throw new IllegalStateException("simulated task failure mid-partition " + tc.partitionId());
                    }
                }
                return rows.iterator();
            }).collect();
            assertThat(out).hasSize(RECORDS);
            long maxEffects = server.effectsPerKey().values().stream().mapToLong(Integer::longValue).max().orElse(0);
            return new long[] {server.receivedCount(), server.acceptedCount(), maxEffects};
        }
    }

    private static String executorOf(String partitionAttempt) {
        for (String s : SEEN) {
            if (s.startsWith(partitionAttempt + "@")) {
                return s.substring(s.indexOf('@') + 1);
            }
        }
        return null;
    }
}
