package io.resiliencekit.spark.partition;

import java.io.Serializable;

/**
 * Where a partition runs: read from Spark's {@code TaskContext} (or {@code -1}s outside a task).
 *
 * @param appId     Spark application id
 * @param jobId     the user's job id option (or the job group), may be empty
 * @param runId     the logical run id used in idempotency keys
 * @param stageId   stage id
 * @param stageAttempt stage attempt number
 * @param partition partition id
 * @param attempt   task attempt number (never part of idempotency keys)
 * @param taskAttemptId Spark's unique task attempt id
 * @param executorId executor id, {@code driver} in local mode
 */
public record PartitionInfo(String appId, String jobId, String runId, int stageId, int stageAttempt,
                            int partition, int attempt, long taskAttemptId, String executorId) implements Serializable {
}
