package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.spark.partition.PartitionInfo;
import io.resiliencekit.spark.partition.PartitionMetrics;

/**
 * Mutable counters of one running partition. Written by the task thread only (the policy delivers
 * the events of the partition's calls to its caller's listener on the calling thread), so plain
 * fields. The thread-local only lets the user's function find the current record's key.
 */
public final class PartitionCounters {

    private static final ThreadLocal<PartitionCounters> CURRENT = new ThreadLocal<>();

    public long rowsIn;
    public long succeeded;
    public long failed;
    public long retried;
    public long deadLettered;
    public long duplicatesSkipped;
    public long throttleWaitNanos;
    public long breakerRejections;
    public long breakerTransitions;
    /** Idempotency key of the record (or batch) being processed, for the action to send along. */
    public String currentKey;

    public static PartitionCounters current() {
        return CURRENT.get();
    }

    public void bind() {
        CURRENT.set(this);
    }

    public void unbind() {
        if (CURRENT.get() == this) {
            CURRENT.remove();
        }
    }

    public void onEvent(ResilienceEvent e) {
        switch (e.type()) {
            case RETRY: retried++; break;
            case THROTTLE_WAIT: throttleWaitNanos += e.delay().toNanos(); break;
            case BREAKER_REJECTED: breakerRejections++; break;
            case BREAKER_TRANSITION: breakerTransitions++; break;
            default: break;
        }
    }

    public PartitionMetrics toMetrics(String policy, PartitionInfo p, String status, String error, long durationNanos) {
        return new PartitionMetrics(policy, p.appId(), p.jobId(), p.runId(), p.stageId(), p.stageAttempt(), p.partition(),
            p.attempt(), p.taskAttemptId(), p.executorId(), status, error, rowsIn, succeeded, failed, retried,
            deadLettered, duplicatesSkipped, throttleWaitNanos, breakerRejections, breakerTransitions, durationNanos);
    }
}
