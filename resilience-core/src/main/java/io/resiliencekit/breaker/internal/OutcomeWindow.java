package io.resiliencekit.breaker.internal;

/**
 * Recent call outcomes of a closed breaker. Not thread-safe: the breaker mutates it under its lock.
 * Only {@link #cleanFull} is read without the lock, by the success fast path.
 */
public abstract class OutcomeWindow {

    /**
     * True while recording another fast success cannot change anything: a full count window that
     * holds no failure and no slow call. Written only when it flips, so the success path that reads
     * it never dirties a shared cache line.
     */
    public volatile boolean cleanFull;

    /** True if {@link #record} and {@link #calls} need the current time. */
    public abstract boolean needsClock();

    public abstract void record(long nowNanos, boolean failure, boolean slow);

    /** Calls in the window at {@code nowNanos}; also drops what has expired. */
    public abstract int calls(long nowNanos);

    /** Failures in the window as of the last {@link #calls} or {@link #record}. */
    public abstract int failures();

    /** Slow calls in the window as of the last {@link #calls} or {@link #record}. */
    public abstract int slowCalls();

    public abstract void clear();
}
