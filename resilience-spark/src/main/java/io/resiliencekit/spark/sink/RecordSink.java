package io.resiliencekit.spark.sink;

import java.util.List;

/**
 * Where the {@code resilient} data source writes: a small SPI with built-in {@code http} and
 * {@code jdbc} implementations. Your own sink is a public class with a public no-argument
 * constructor, named by the {@code sink} option; the data source calls it under the policy (rate
 * limit, breaker, retries, dead letters) and gives every record its idempotency key.
 *
 * <pre>{@code
 * public final class QueueSink implements RecordSink {
 *     private QueueClient client;
 *
 *     public void open(SinkContext context) {
 *         client = QueueClient.connect(context.option("queueUrl"));   // option custom.queueUrl
 *     }
 *
 *     public void healthCheck() throws Exception {
 *         client.ping();                                              // on the driver, before any task
 *     }
 *
 *     public void write(List<SinkRecord> records) throws Exception {
 *         for (SinkRecord r : records) {
 *             client.send(r.json(), r.key());                         // the key makes a retry harmless
 *         }
 *     }
 *
 *     public void close() {
 *         client.close();
 *     }
 * }
 * // df.write().format("resilient").option("sink", QueueSink.class.getName()).option("custom.queueUrl", url)...
 * }</pre>
 *
 * <p>One instance per task (and one on the driver for the health check); an instance is used by
 * one thread at a time.
 */
public interface RecordSink extends AutoCloseable {

    /** Prepares the sink; on the driver before {@link #healthCheck()}, on executors once per task. */
    void open(SinkContext context) throws Exception;

    /**
     * Checks on the driver, before any task starts, that the target is reachable and accepts our
     * credentials; throws {@link SinkUnavailableException} (or any exception) with a clear message
     * that holds no secret. The default checks nothing.
     */
    default void healthCheck() throws Exception {
    }

    /**
     * Writes records (one per call unless {@code partition.batchSize} is larger) as one policy
     * call: a failure is retried as the policy's classifier decides, so the write must be
     * harmless to repeat for the same keys.
     */
    void write(List<SinkRecord> records) throws Exception;

    /**
     * True if {@link #write} itself records each key with its effect atomically (as the JDBC sink
     * does in its transaction), so the data source needs no idempotency store for it.
     */
    default boolean deduplicatesByKey() {
        return false;
    }

    @Override
    default void close() throws Exception {
    }
}
