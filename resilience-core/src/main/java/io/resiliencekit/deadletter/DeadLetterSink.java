package io.resiliencekit.deadletter;

/**
 * Where dead letters go. Implementations redact every letter before storing it, are safe for
 * concurrent writers, and make letters durable and visible on {@link #flush()} (and
 * {@link #close()}): a writer that dies before flushing leaves nothing half-written behind.
 *
 * <pre>{@code
 * try (DeadLetterSink sink = JsonLinesDeadLetterSink.builder(Path.of("/data/dead-letters")).build()) {
 *     for (Order o : orders) {
 *         try {
 *             policy.call(ctx(o), () -> api.send(o));
 *         } catch (ResilienceException e) {
 *             sink.write(DeadLetter.builder().key(ctx(o).idempotencyKey()).payload(o.toMap())
 *                 .failure(e).failedAt(ticker.epochMillis()).source(position).build());
 *         }
 *     }
 * }   // close() flushes
 * }</pre>
 */
public interface DeadLetterSink extends AutoCloseable {

    /** Redacts and buffers {@code letter}; returns the letter as it will be stored. */
    DeadLetter write(DeadLetter letter);

    /** Makes everything written so far durable and visible to readers. */
    void flush();

    /** Flushes and releases resources. */
    @Override
    void close();
}
