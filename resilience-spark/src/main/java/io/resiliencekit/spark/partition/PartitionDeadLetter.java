package io.resiliencekit.spark.partition;

import io.resiliencekit.spark.partition.internal.Json;
import java.io.Serializable;

/**
 * A record the helpers gave up on with {@code continueOnError}: its idempotency key, where it came
 * from (run, stage, partition, attempt, offset within the partition), why it failed and, only when
 * the job supplies a payload function, a payload for replay. Written as one JSON line.
 *
 * <pre>{@code
 * for (PartitionDeadLetter d : DeadLetterFiles.read(Path.of("/data/dlq/orders"))) {
 *     log.warn("{} at partition {} offset {}: {}", d.key(), d.partition(), d.offset(), d.errorClass());
 * }
 * }</pre>
 */
public record PartitionDeadLetter(
    String key, String runId, String appId, int stageId, int partition, int attempt, long offset,
    String policy, String failureKind, int attempts, String errorClass, String message, String stackTrace,
    long failedAtMillis, String payload) implements Serializable {

    public String toJson() {
        StringBuilder sb = new StringBuilder(512).append('{');
        Json.field(sb, "key", key).append(',');
        Json.field(sb, "runId", runId).append(',');
        Json.field(sb, "appId", appId).append(',');
        Json.field(sb, "stage", stageId).append(',');
        Json.field(sb, "partition", partition).append(',');
        Json.field(sb, "attempt", attempt).append(',');
        Json.field(sb, "offset", offset).append(',');
        Json.field(sb, "policy", policy).append(',');
        Json.field(sb, "failureKind", failureKind).append(',');
        Json.field(sb, "attempts", attempts).append(',');
        Json.field(sb, "errorClass", errorClass).append(',');
        Json.field(sb, "message", message).append(',');
        Json.field(sb, "stackTrace", stackTrace).append(',');
        Json.field(sb, "failedAtMillis", failedAtMillis).append(',');
        Json.field(sb, "payload", payload);
        return sb.append('}').toString();
    }
}
