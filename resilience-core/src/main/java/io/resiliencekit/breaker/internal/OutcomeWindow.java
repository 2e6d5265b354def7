package io.resiliencekit.breaker.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * Recent call outcomes of a closed breaker, split in two so successes stay cheap at real failure
 * rates: every outcome increments {@link #outcomes}, a striped counter that threads update
 * without a lock, and only failures and slow calls (rare) are recorded, under the breaker's lock,
 * with their place in that count. A success can only lower the failure rate, so in the usual case
 * it decides nothing and just counts ({@link #tryRecordFastSuccess()}); the window tells the
 * breaker when a success might decide something (it would complete {@code minimumCalls} with
 * failure counts already over a threshold, or the time window has moved on and older outcomes
 * expire), and then the success goes through {@link #record} like a failure.
 *
 * <p>Everything except {@link #tryRecordFastSuccess()} is called under the breaker's lock.
 */
public abstract class OutcomeWindow {

    /** Every outcome recorded since the window was made (fast successes, and all of {@link #record}). */
    protected final LongAdder outcomes = new LongAdder();

    protected final OpeningRule rule;

    protected OutcomeWindow(OpeningRule rule) {
        this.rule = rule;
    }

    /**
     * Hot path, any thread, no lock: records a success that was neither failed nor slow if that
     * cannot change the breaker's verdict, and returns true; returns false if the caller must
     * take the lock and {@link #record} it instead.
     */
    public abstract boolean tryRecordFastSuccess();

    /** True if {@link #record}, {@link #calls} and {@link #clear} need the current time. */
    public abstract boolean needsClock();

    /** Records an outcome; returns true if the breaker must open now ({@link OpeningRule#opens}). */
    public abstract boolean record(long nowNanos, boolean failure, boolean slow);

    /** Calls in the window at {@code nowNanos}; also drops what has expired. */
    public abstract long calls(long nowNanos);

    /** Failures in the window as of the last {@link #calls} or {@link #record}. */
    public abstract int failures();

    /** Slow calls in the window as of the last {@link #calls} or {@link #record}. */
    public abstract int slowCalls();

    /** Forgets every outcome: the window of a breaker that has just closed. */
    public abstract void clear(long nowNanos);
}
