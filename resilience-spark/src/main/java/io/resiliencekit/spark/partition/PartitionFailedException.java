package io.resiliencekit.spark.partition;

import io.resiliencekit.config.Secrets;

/**
 * A record failed and {@code continueOnError} is off, so the task fails. The message names the
 * record by partition, offset and idempotency key, never by its content; secrets in the cause's
 * messages are masked ({@link Secrets#scrubbed}).
 *
 * <pre>{@code
 * record at offset 17 of partition 3 (stage 2, attempt 0, run 2024-06-01) failed; key rk:2024-06-01:order-17:
 *   io.resiliencekit.CallFailedException: policy 'orders' gave up after 1 attempt (permanent): ...
 * }</pre>
 */
public class PartitionFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int partition;
    private final long offset;
    private final String key;

    public PartitionFailedException(PartitionInfo where, long offset, String key, Throwable cause) {
        // A user function's message may quote the record ("token=..."): this exception travels to the
        // driver and into executor logs, so its message and its cause chain are scrubbed.
        super("record at offset " + offset + " of partition " + where.partition() + " (stage " + where.stageId()
            + ", attempt " + where.attempt() + ", run " + where.runId() + ") failed"
            + (key == null ? "" : "; key " + key) + ": " + cause.getClass().getName()
            + (cause.getMessage() == null ? "" : ": " + Secrets.scrub(cause.getMessage())), Secrets.scrubbed(cause));
        this.partition = where.partition();
        this.offset = offset;
        this.key = key;
    }

    public int partition() {
        return partition;
    }

    /** Position of the record (or of a batch's first record) within its partition. */
    public long offset() {
        return offset;
    }

    /** The record's idempotency key, or null when keys are off. */
    public String key() {
        return key;
    }
}
