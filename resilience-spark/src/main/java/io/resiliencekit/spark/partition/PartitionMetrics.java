package io.resiliencekit.spark.partition;

import io.resiliencekit.spark.partition.internal.Json;
import java.io.Serializable;

/**
 * What one task attempt did with its partition: the structured metrics line the helpers log in a
 * {@code finally} block (also when the partition fails) and send to the driver's
 * {@link PartitionMetricsAccumulator}.
 *
 * <ul>
 *   <li>{@code rowsIn}: records read from the partition's iterator;</li>
 *   <li>{@code succeeded}: records whose call succeeded (duplicates skipped included: their effect exists);</li>
 *   <li>{@code failed}: records whose call failed for good (dead-lettered or failing the task);</li>
 *   <li>{@code retried}: attempts beyond the first of each record (the policy's retries, and each call made
 *       again for a record that waited out an outage);</li>
 *   <li>{@code deadLettered}: records written to the dead-letter sink;</li>
 *   <li>{@code duplicatesSkipped}: calls not made because their key was done or in progress elsewhere;</li>
 *   <li>{@code throttleWaitMillis}: time spent waiting for rate-limit permits;</li>
 *   <li>{@code breakerRejections}: calls refused by an open circuit breaker;</li>
 *   <li>{@code durationMillis}, {@code rowsPerSecond}: wall time of the partition and rowsIn over it;</li>
 *   <li>{@code status}: {@code ok}, {@code failed} (the task failed), {@code killed}, or {@code lost} (added on
 *       the driver for an attempt whose executor JVM died: its counts are unknown, zero here).</li>
 * </ul>
 *
 * <pre>{@code
 * {"metric":"resiliencekit.partition","appId":"local-1","stage":3,"partition":7,"attempt":0,"rowsIn":1000,...}
 * }</pre>
 */
public record PartitionMetrics(
    String policy, String appId, String jobId, String runId, int stageId, int stageAttempt, int partition,
    int attempt, long taskAttemptId, String executorId, String status, String error,
    long rowsIn, long succeeded, long failed, long retried, long deadLettered, long duplicatesSkipped,
    long throttleWaitNanos, long breakerRejections, long breakerTransitions, long durationNanos) implements Serializable {

    /** Records per second over the partition's duration. */
    public double rowsPerSecond() {
        return durationNanos <= 0 ? 0.0 : rowsIn * 1e9 / durationNanos;
    }

    public long throttleWaitMillis() {
        return throttleWaitNanos / 1_000_000L;
    }

    public long durationMillis() {
        return durationNanos / 1_000_000L;
    }

    public boolean ok() {
        return "ok".equals(status);
    }

    /** The JSON line; no payloads, keys or option values, so nothing secret. */
    public String toJson() {
        StringBuilder sb = new StringBuilder(420).append('{');
        Json.field(sb, "metric", "resiliencekit.partition").append(',');
        Json.field(sb, "policy", policy).append(',');
        Json.field(sb, "appId", appId).append(',');
        Json.field(sb, "jobId", jobId).append(',');
        Json.field(sb, "runId", runId).append(',');
        Json.field(sb, "stage", stageId).append(',');
        Json.field(sb, "stageAttempt", stageAttempt).append(',');
        Json.field(sb, "partition", partition).append(',');
        Json.field(sb, "attempt", attempt).append(',');
        Json.field(sb, "taskAttemptId", taskAttemptId).append(',');
        Json.field(sb, "executorId", executorId).append(',');
        Json.field(sb, "status", status).append(',');
        Json.field(sb, "error", error).append(',');
        Json.field(sb, "rowsIn", rowsIn).append(',');
        Json.field(sb, "succeeded", succeeded).append(',');
        Json.field(sb, "failed", failed).append(',');
        Json.field(sb, "retried", retried).append(',');
        Json.field(sb, "deadLettered", deadLettered).append(',');
        Json.field(sb, "duplicatesSkipped", duplicatesSkipped).append(',');
        Json.field(sb, "throttleWaitMillis", throttleWaitMillis()).append(',');
        Json.field(sb, "breakerRejections", breakerRejections).append(',');
        Json.field(sb, "breakerTransitions", breakerTransitions).append(',');
        Json.field(sb, "durationMillis", durationMillis()).append(',');
        Json.field(sb, "rowsPerSecond", rowsPerSecond());
        return sb.append('}').toString();
    }
}
