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
 *     public boolean threadSafe() {
 *         return true;                                                // QueueClient may be shared by threads
 *     }
 *
 *     public void close() {
 *         client.close();
 *     }
 * }
 * // df.write().format("resilient").option("sink", QueueSink.class.getName()).option("custom.queueUrl", url)...
 * }</pre>
 *
 * <p>Threads: a sink is used by one thread at a time unless it says it is {@link #threadSafe()}.
 * A task keeps several calls in flight ({@code partition.concurrency}, default {@code auto}: as many
 * as the rate limit needs at the latency the task measures). A thread-safe sink is opened once per
 * task and every call in flight of the task calls its {@link #write} (from helper threads of the
 * task, possibly at the same time). A sink that is not (the default, so sinks written before this
 * existed behave as they did): one instance per task and one call in flight under {@code auto};
 * with {@code partition.concurrency=N} up to N instances per task, one per call in flight, each
 * opened when first needed and all closed when the task ends. The driver opens one more for the
 * health check.
 */
public interface RecordSink extends AutoCloseable {

    /**
     * Prepares the sink; on the driver before {@link #healthCheck()}, on executors once per instance
     * (once per task for a {@link #threadSafe()} sink, once per call in flight otherwise).
     */
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

    /**
     * True if one instance may run {@link #write} from several threads at once (its client is
     * thread-safe, as the JDK {@code HttpClient} is, and it keeps no unguarded per-call state): the
     * task then shares it between its calls in flight, and {@code partition.concurrency=auto} keeps
     * enough of them in flight to use the rate limit. The default, false, keeps one call in flight
     * per instance (see the class comment). The built-in {@code http} sink is thread-safe.
     */
    default boolean threadSafe() {
        return false;
    }

    @Override
    default void close() throws Exception {
    }
}
