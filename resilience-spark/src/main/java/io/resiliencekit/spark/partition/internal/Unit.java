package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.CallContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One record (or one batch) of a partition on its way through the policy: read from the input,
 * called (once, or again after waiting out an outage), then finished exactly once, as a success or
 * a failure, and, for the map forms, emitted in input order. Owned by the task thread; the fields a
 * helper thread writes while the call runs ({@link #invoked}, {@link #runningOn}) are volatile, the
 * rest is read after the call's future completed.
 */
final class Unit<C, T, R> {

    enum State { READY, RUNNING, PARKED, DONE }

    final long firstOffset;
    final T record;          // the record, for the per-record forms
    final List<T> batch;     // the records, for the batch forms
    final String key;
    final CallContext context;
    final CallTrace trace;

    State state = State.READY;
    int calls;               // policy calls made for it
    int attempts;            // attempts of the action over all those calls
    int failedCalls;         // of those calls, the ones that ended in a failure
    int suspectCalls;       // failed calls while the dependency looked up (or nothing told)
    long outageSinceNanos = -1;
    long resumeAtNanos;
    long lastPauseNanos;

    // the outcome
    boolean succeeded;
    R value;
    List<R> values;
    Throwable failure;       // what the dead letter or the task failure reports
    String why;              // why it counts as failed, for the dead letter

    // the call in flight
    volatile boolean invoked;
    volatile Thread runningOn;
    C resource;
    CompletableFuture<?> future;
    long startedAtNanos;    // when the call in flight started (0: none timed)
    Object outcome;          // the value or the Throwable the call ended with, before the task thread judged it
    boolean outcomeFailed;

    Unit(long firstOffset, T record, List<T> batch, String key, CallContext context, CallTrace trace) {
        this.firstOffset = firstOffset;
        this.record = record;
        this.batch = batch;
        this.key = key;
        this.context = context;
        this.trace = trace;
    }

    int size() {
        return batch == null ? 1 : batch.size();
    }

    boolean finished() {
        return state == State.DONE;
    }
}
