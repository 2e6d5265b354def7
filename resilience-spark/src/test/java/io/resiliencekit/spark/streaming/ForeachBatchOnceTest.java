package io.resiliencekit.spark.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Done-when 6 of issue 12: a streaming query writing through {@link ForeachBatchOnce} is stopped
 * and restarted so that its batch replays (its commit-log entry removed, as when the driver
 * dies after the batch and before the commit); the target sees that batch once. Plain
 * {@code foreachBatch} would apply it twice. Settings: the policy's documented defaults with
 * {@code idempotency.store=memory} (the replay is within the same application; a restart of the
 * application needs {@code jdbc}).
 */
class ForeachBatchOnceTest {

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.local();

    static final Map<String, AtomicInteger> APPLIED = new ConcurrentHashMap<>();   // target: effects per row id
    static final List<Long> CALLED = new CopyOnWriteArrayList<>();                 // batches Spark handed us

    @TempDir
    Path tmp;

    @Test
    void aBatchReplayedAfterARestartIsAppliedOnce() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Path checkpoint = tmp.resolve("checkpoint");
        ResiliencePolicyConfig policy = ResiliencePolicyConfig.fromOptions(Map.of("name", "fb-orders",
                "idempotency.store", "memory"));
        VoidFunction2<Dataset<Row>, Long> once = ForeachBatchOnce.of("orders-target", policy, (batch, id) -> {
            for (Row r : batch.collectAsList()) {
                APPLIED.computeIfAbsent(r.getString(0), k -> new AtomicInteger()).incrementAndGet();
            }
        });
        VoidFunction2<Dataset<Row>, Long> observed = (batch, id) -> {
            CALLED.add(id);
            once.call(batch, id);
        };

        Files.writeString(in.resolve("a.json"), "{\"id\":\"a1\"}\n{\"id\":\"a2\"}\n{\"id\":\"a3\"}\n");
        run(in, checkpoint, observed);
        long last = CALLED.get(CALLED.size() - 1);
        // the driver "died" after applying the batch and before committing it
        Files.delete(checkpoint.resolve("commits").resolve(Long.toString(last)));
        Files.deleteIfExists(checkpoint.resolve("commits").resolve("." + last + ".crc"));
        run(in, checkpoint, observed);

        System.out.println("batches handed to foreachBatch: " + CALLED + ", effects: " + APPLIED);
        assertThat(CALLED).as("Spark replayed the last batch after the restart").containsSubsequence(last, last);
        assertThat(APPLIED.keySet()).containsExactlyInAnyOrder("a1", "a2", "a3");
        assertThat(APPLIED.values()).as("every row of every batch applied once").allMatch(n -> n.get() == 1);
    }

    private static void run(Path in, Path checkpoint, VoidFunction2<Dataset<Row>, Long> fn) throws Exception {
        StructType schema = new StructType().add("id", DataTypes.StringType);
        StreamingQuery q = SPARK.spark().readStream().schema(schema).json(in.toString()).writeStream()
                .option("checkpointLocation", checkpoint.toString())
                .trigger(Trigger.AvailableNow())
                .foreachBatch(fn)
                .start();
        q.awaitTermination();
    }

    @Test
    void aPolicyWithoutAnIdempotencyGuardIsRefused() {
        assertThatThrownBy(() -> ForeachBatchOnce.of("x", ResiliencePolicy.builder("no-guard").config(), (b, id) -> { }))
                .isInstanceOf(ConfigException.class).hasMessageContaining("idempotency");
    }
}
