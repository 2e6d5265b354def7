package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.metrics.PolicyMetrics;

/**
 * What the events of one record's (or batch's) calls said: retries, permit waits and breaker
 * events to add to the partition's counters, the first and last failure times for its dead letter,
 * and a snapshot of the policy's JVM-wide counters at its first failure, which tells later whether
 * other calls succeeded (the failure is the record's) or failed too (the dependency is down).
 *
 * <p>The events of one call are decided one after the other (on the task thread, or on helper
 * threads handing over through the call's future), and the task thread reads the trace only after
 * the call has ended: plain fields.
 */
final class CallTrace {

    static final long UNSET = Long.MIN_VALUE;

    private final PolicyMetrics jvm;

    // per call: added to the partition's counters when the call ends, then cleared
    int retried;
    long retryDelayNanos;    // the delays the policy chose before its retries (backoff or Retry-After)
    long throttleWaitNanos;
    int breakerRejections;
    int breakerTransitions;
    boolean heard;
    boolean failureHeard;    // this call's events reported a failure (and its time)

    // per record, over every call made for it
    long firstFailureMillis = UNSET;
    long lastFailureMillis = UNSET;
    long succeededBefore = UNSET;
    long failedBefore = UNSET;
    int ownFailedCalls;      // this record's calls that failed since the snapshot (they are in jvm.failed() too)

    CallTrace(PolicyMetrics jvm) {
        this.jvm = jvm;
    }

    void onEvent(ResilienceEvent e) {
        heard = true;
        switch (e.type()) {
            case RETRY:
                retried++;
                retryDelayNanos += e.delay().toNanos();
                failedAt(e.epochMillis());
                break;
            case GIVE_UP:
                failedAt(e.epochMillis());
                break;
            case THROTTLE_WAIT:
                throttleWaitNanos += e.delay().toNanos();
                break;
            case BREAKER_REJECTED:
                breakerRejections++;
                break;
            case BREAKER_TRANSITION:
                breakerTransitions++;
                break;
            default:
                break;
        }
    }

    /** A failure of this record at {@code epochMillis}: the first one also snapshots the JVM's counters. */
    void failedAt(long epochMillis) {
        failureHeard = true;
        if (firstFailureMillis == UNSET) {
            firstFailureMillis = epochMillis;
            succeededBefore = jvm.succeeded();
            failedBefore = jvm.failed();
        }
        if (epochMillis > lastFailureMillis) {
            lastFailureMillis = epochMillis;
        }
    }

    /** Calls of this policy in this JVM that succeeded since this record first failed. */
    long othersSucceededSince() {
        return succeededBefore == UNSET ? 0 : jvm.succeeded() - succeededBefore;
    }

    /** One of this record's calls ended in a failure (counted by the policy as a failed call). */
    void callFailed() {
        if (failedBefore != UNSET) {
            ownFailedCalls++;
        }
    }

    /** Calls of this policy in this JVM, other than this record's, that failed since this record first failed. */
    long othersFailedSince() {
        return failedBefore == UNSET ? 0 : Math.max(0, jvm.failed() - failedBefore - ownFailedCalls);
    }

    /** Adds this call's counts to {@code c} and clears them (the failure history stays). */
    void drainInto(PartitionCounters c) {
        if (heard) {
            c.add(this);
            retried = 0;
            retryDelayNanos = 0;
            throttleWaitNanos = 0;
            breakerRejections = 0;
            breakerTransitions = 0;
            heard = false;
        }
        failureHeard = false;
    }

    /** Takes over another trace's failure history (a record that failed on the fast path goes on in a unit). */
    void adoptHistory(CallTrace t) {
        firstFailureMillis = t.firstFailureMillis;
        lastFailureMillis = t.lastFailureMillis;
        succeededBefore = t.succeededBefore;
        failedBefore = t.failedBefore;
        ownFailedCalls = t.ownFailedCalls;
        failureHeard = t.failureHeard;
    }

    void clearHistory() {
        firstFailureMillis = UNSET;
        lastFailureMillis = UNSET;
        succeededBefore = UNSET;
        failedBefore = UNSET;
        ownFailedCalls = 0;
    }
}
