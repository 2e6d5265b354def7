package io.resiliencekit.breaker.internal;

import io.resiliencekit.time.Ticker;

/**
 * The outcomes of the last {@code duration}, in {@value #BUCKETS} buckets of {@code duration / BUCKETS}:
 * a call leaves the window between 19/20 and all of {@code duration} after it was recorded.
 *
 * <p>All outcomes are counted by {@link #outcomes}; each bucket keeps that count as it was when
 * the bucket's time began, so the calls in the window are the count now minus the count when
 * its oldest bucket began. Failures and slow calls are also counted per bucket, under the lock.
 * A success is fast (one clock read, one striped increment, no lock) while its clock reading
 * falls in the bucket {@link #fastBucket} names: the breaker set it after it last looked at the
 * rates in that bucket and found that successes cannot open it there. The first outcome of a
 * new bucket takes the lock, because older buckets expire then and the failure rate may rise.
 */
public final class TimeWindow extends OutcomeWindow {

    public static final int BUCKETS = 20;

    private final Ticker ticker;
    private final long bucketNanos;
    private final long originNanos;

    /** The bucket (epoch number) in which successes are fast; -1 when none is. */
    private volatile long fastBucket = -1L;

    // Guarded by the breaker's lock.
    private final long[] startCounts = new long[BUCKETS]; // outcomes.sum() when the bucket's epoch began
    private final int[] failed = new int[BUCKETS];
    private final int[] slowed = new int[BUCKETS];
    private long firstEpoch; // epoch of the last clear: older epochs hold nothing
    private long currentEpoch;
    private int totalFailures;
    private int totalSlow;

    public TimeWindow(long durationNanos, Ticker ticker, OpeningRule rule) {
        super(rule);
        this.ticker = ticker;
        this.bucketNanos = Math.max(1, durationNanos / BUCKETS);
        this.originNanos = ticker.nanoTime();
        clear(originNanos);
    }

    @Override
    public boolean tryRecordFastSuccess() {
        long fast = fastBucket;
        if (fast < 0 || epochAt(ticker.nanoTime()) != fast) {
            return false;
        }
        outcomes.increment();
        return true;
    }

    @Override
    public boolean needsClock() {
        return true;
    }

    @Override
    public boolean record(long nowNanos, boolean failure, boolean slow) {
        int i = advance(nowNanos);
        outcomes.increment();
        if (failure) {
            failed[i]++;
            totalFailures++;
        }
        if (slow) {
            slowed[i]++;
            totalSlow++;
        }
        long calls = callsNow();
        boolean opens = rule.opens(totalFailures, totalSlow, calls);
        fastBucket = !opens && rule.successesCannotOpen(totalFailures, totalSlow, calls) ? currentEpoch : -1L;
        return opens;
    }

    @Override
    public long calls(long nowNanos) {
        advance(nowNanos);
        return callsNow();
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
    public void clear(long nowNanos) {
        for (int i = 0; i < BUCKETS; i++) {
            failed[i] = 0;
            slowed[i] = 0;
        }
        totalFailures = 0;
        totalSlow = 0;
        currentEpoch = Math.max(currentEpoch, epochAt(nowNanos));
        firstEpoch = currentEpoch;
        startCounts[slot(currentEpoch)] = outcomes.sum();
        fastBucket = rule.successesCannotOpen(0, 0, 0L) ? currentEpoch : -1L;
    }

    private long epochAt(long nowNanos) {
        return Math.max(0, (nowNanos - originNanos) / bucketNanos);
    }

    private static int slot(long epoch) {
        return (int) (epoch % BUCKETS);
    }

    private long callsNow() {
        long oldest = Math.max(firstEpoch, currentEpoch - BUCKETS + 1);
        return outcomes.sum() - startCounts[slot(oldest)];
    }

    /** Moves the window to {@code nowNanos}, emptying buckets that fell out; returns the current bucket. */
    private int advance(long nowNanos) {
        long epoch = epochAt(nowNanos);
        if (epoch > currentEpoch) {
            // No need to touch fastBucket: it names an older epoch now, so successes take the lock
            // (and look at the rates again) until a record in the new epoch says otherwise.
            long count = outcomes.sum();
            // Start every bucket whose slot is reused between the old and the new epoch (at most all of them).
            for (long e = Math.max(currentEpoch + 1, epoch - BUCKETS + 1); e <= epoch; e++) {
                int i = slot(e);
                totalFailures -= failed[i];
                totalSlow -= slowed[i];
                failed[i] = 0;
                slowed[i] = 0;
                startCounts[i] = count;
            }
            currentEpoch = epoch;
        }
        return slot(currentEpoch);
    }
}
