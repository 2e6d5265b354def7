package io.resiliencekit.breaker.internal;

/**
 * The outcomes of the last {@code duration}, in {@value #BUCKETS} buckets of {@code duration / BUCKETS}:
 * a call leaves the window between 19/20 and all of {@code duration} after it was recorded.
 */
public final class TimeWindow extends OutcomeWindow {

    public static final int BUCKETS = 20;

    private final long bucketNanos;
    private final int[] calls = new int[BUCKETS];
    private final int[] failed = new int[BUCKETS];
    private final int[] slowed = new int[BUCKETS];
    private final long originNanos;
    private long currentEpoch;
    private int totalCalls;
    private int totalFailures;
    private int totalSlow;

    public TimeWindow(long durationNanos, long originNanos) {
        this.bucketNanos = Math.max(1, durationNanos / BUCKETS);
        this.originNanos = originNanos;
    }

    @Override
    public boolean needsClock() {
        return true;
    }

    @Override
    public void record(long nowNanos, boolean failure, boolean slow) {
        int i = advance(nowNanos);
        calls[i]++;
        totalCalls++;
        if (failure) {
            failed[i]++;
            totalFailures++;
        }
        if (slow) {
            slowed[i]++;
            totalSlow++;
        }
    }

    @Override
    public int calls(long nowNanos) {
        advance(nowNanos);
        return totalCalls;
    }

    @Override
    public int failures() {
        return totalFailures;
    }

    @Override
    public int slowCalls() {
        return totalSlow;
    }

    @Override
    public void clear() {
        for (int i = 0; i < BUCKETS; i++) {
            calls[i] = 0;
            failed[i] = 0;
            slowed[i] = 0;
        }
        totalCalls = 0;
        totalFailures = 0;
        totalSlow = 0;
    }

    /** Moves the window to {@code nowNanos}, emptying buckets that fell out; returns the current bucket. */
    private int advance(long nowNanos) {
        long epoch = Math.max(0, (nowNanos - originNanos) / bucketNanos);
        if (epoch > currentEpoch) {
            // Empty every bucket whose slot is reused between the old and the new epoch (at most all of them).
            long from = Math.max(currentEpoch + 1, epoch - BUCKETS + 1);
            for (long e = from; e <= epoch; e++) {
                int i = (int) (e % BUCKETS);
                totalCalls -= calls[i];
                totalFailures -= failed[i];
                totalSlow -= slowed[i];
                calls[i] = 0;
                failed[i] = 0;
                slowed[i] = 0;
            }
            currentEpoch = epoch;
        }
        return (int) (currentEpoch % BUCKETS);
    }
}
