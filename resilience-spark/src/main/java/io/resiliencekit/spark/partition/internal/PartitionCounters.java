package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.spark.partition.PartitionInfo;
import io.resiliencekit.spark.partition.PartitionMetrics;

/**
 * Mutable counters of one running partition. Written by the task thread only: the events of a
 * call are gathered in that call's {@link CallTrace} (on whichever thread decides them) and added
 * here by the task thread when the call has ended, so plain fields.
 *
 * <p>The thread-local key only lets the user's function find the key of the record it is called
 * for, on the task thread or on a helper thread of the task (calls in flight).
 */
public final class PartitionCounters {

    private static final ThreadLocal<String> CURRENT_KEY = new ThreadLocal<>();

    public long rowsIn;
    public long succeeded;
    public long failed;
    public long retried;
    public long deadLettered;
    public long duplicatesSkipped;
    public long throttleWaitNanos;
    public long breakerRejections;
    public long breakerTransitions;

    /** The idempotency key of the record (or batch) whose call runs on this thread; null outside a call. */
    public static String currentKey() {
        return CURRENT_KEY.get();
    }

    /** Sets the key the calling thread's action is running for ({@code null} clears it). */
    static void currentKey(String key) {
        if (key == null) {
            CURRENT_KEY.remove();
        } else {
            CURRENT_KEY.set(key);
        }
    }

    /** Adds what one call's events said. */
    void add(CallTrace t) {
        retried += t.retried;
        throttleWaitNanos += t.throttleWaitNanos;
        breakerRejections += t.breakerRejections;
        breakerTransitions += t.breakerTransitions;
    }

    public PartitionMetrics toMetrics(String policy, PartitionInfo p, String status, String error, long durationNanos) {
        return new PartitionMetrics(policy, p.appId(), p.jobId(), p.runId(), p.stageId(), p.stageAttempt(), p.partition(),
            p.attempt(), p.taskAttemptId(), p.executorId(), status, error, rowsIn, succeeded, failed, retried,
            deadLettered, duplicatesSkipped, throttleWaitNanos, breakerRejections, breakerTransitions, durationNanos);
    }
}
