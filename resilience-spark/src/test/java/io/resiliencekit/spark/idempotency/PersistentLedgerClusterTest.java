package io.resiliencekit.spark.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.partition.Partitions;
import io.resiliencekit.spark.testing.SparkClusters;
import io.resiliencekit.testkit.FlakyApiServer;

/**
 * Done-when 2 of issue 11: two applications, one after the other, run the same run id on
 * {@code local-cluster} (one executor JVM each, apart from its driver: the ledger lives on the
 * driver, so a second executor would only add a JVM start to CI) with the plugin's ledger in an
 * embedded database file ({@code spark.resiliencekit.ledger.location}, the one setting this needs). The first application
 * delivers part of the run (as a run stopped half-way would); the second, a new driver with new
 * executors, delivers all of it and makes no call for a key the first completed, counted at the
 * simulator, which outlives both.
 *
 * <p>Settings: the partition helpers and the idempotency guard with their defaults (store auto: the
 * plugin's ledger; hold 5 min); the ledger's location is the only thing set.
 */
class PersistentLedgerClusterTest {

    static final int FIRST = 24;   // small: each record is three round trips (claim, call, completion)
    static final int ALL = 40;
    static final String RUN_ID = "orders-2026-01-31";

    @TempDir
    Path tmp;

    @Test
    void aSecondApplicationOfTheSameRunIdCallsOnlyWhatTheFirstDidNotComplete() throws Exception {
        Path ledger = tmp.resolve("ledger");
        try (FlakyApiServer api = FlakyApiServer.builder().start()) {
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri())
                    .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(5)).build();

            long firstHits = runApplication("ledger-run-1", ledger, client, FIRST);
            long afterFirst = api.receivedCount();
            assertThat(firstHits).as("a fresh ledger").isZero();
            assertThat(afterFirst).isEqualTo(FIRST);

            long secondHits = runApplication("ledger-run-2", ledger, client, ALL);
            long secondCalls = api.receivedCount() - afterFirst;
            System.out.printf("persistent ledger: first application %d calls; second %d calls, %d answered from the"
                    + " ledger%n", afterFirst, secondCalls, secondHits);
            assertThat(secondCalls).as("the second application calls only what the first did not complete")
                    .isEqualTo(ALL - FIRST);
            assertThat(secondHits).as("the first application's keys, skipped").isEqualTo(FIRST);
            assertThat(api.attemptsPerKey()).hasSize(ALL).allSatisfy((key, calls) ->
                    assertThat(calls).as("calls with key " + key).isEqualTo(1));
            assertThat(api.duplicateEffectCount()).isZero();
        }
    }

    /** One application: its own driver and executors, records 0..records-1 of the run; returns the ledger's hits. */
    private long runApplication(String app, Path ledger, HttpJsonClient client, int records) {
        SparkSession spark = SparkClusters.localCluster(app, 1, Map.of(
                "spark.plugins", ResilienceCluster.PLUGIN_CLASS,
                PluginOptions.LEDGER_LOCATION, ledger.toString()));
        try {
            DriverLedger driverLedger = ResilienceCluster.driverServices().component(DriverLedger.class).orElseThrow();
            assertThat(driverLedger.persistent()).isTrue();
            ResiliencePolicyConfig policy = ResiliencePolicy.builder("orders-api")
                    .idempotency(IdempotencyConfig.builder().build()).config();
            PartitionOptions opts = PartitionOptions.builder().runId(RUN_ID).build();
            spark.range(0, records, 1, 4)
                    .map((MapFunction<Long, String>) n -> "order-" + n, Encoders.STRING())
                    .foreachPartition(Partitions.<String>using(policy, opts).keyBy(id -> id)
                            .foreach(id -> client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}",
                                    Partitions.currentIdempotencyKey())));
            return driverLedger.hits();
        } finally {
            SparkClusters.stop(spark);
        }
    }
}
