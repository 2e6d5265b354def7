package io.resiliencekit.testkit;

import java.time.Duration;
import java.util.Arrays;

/** Arrival times (nanos since server start) of one kind of event, for per-second series and window maxima. */
final class EventLog {

    private long[] times = new long[1024];
    private int size;

    synchronized void add(long sinceStartNanos) {
        if (size == times.length) {
            times = Arrays.copyOf(times, size * 2);
        }
        times[size++] = sinceStartNanos;
    }

    synchronized long[] sortedSnapshot() {
        long[] copy = Arrays.copyOf(times, size);
        Arrays.sort(copy); // threads append slightly out of order
        return copy;
    }

    /** The earliest time, or -1 if none. */
    long first() {
        long[] t = sortedSnapshot();
        return t.length == 0 ? -1 : t[0];
    }

    /** Events at or after {@code fromNanos}. */
    long countFrom(long fromNanos) {
        long[] t = sortedSnapshot();
        int i = Arrays.binarySearch(t, fromNanos);
        if (i < 0) {
            i = -i - 1;
        } else {
            while (i > 0 && t[i - 1] == fromNanos) {
                i--;
            }
        }
        return t.length - i;
    }

    long[] perSecond() {
        long[] t = sortedSnapshot();
        if (t.length == 0) {
            return new long[0];
        }
        long[] out = new long[(int) (t[t.length - 1] / 1_000_000_000L) + 1];
        for (long x : t) {
            out[(int) (x / 1_000_000_000L)]++;
        }
        return out;
    }

    /** The most events whose times all fall within some half-open interval of length {@code window}. */
    long maxInWindow(Duration window) {
        long w = window.toNanos();
        if (w <= 0) {
            throw new IllegalArgumentException("window must be positive, was " + window);
        }
        long[] t = sortedSnapshot();
        int best = 0;
        int lo = 0;
        for (int hi = 0; hi < t.length; hi++) {
            while (t[hi] - t[lo] >= w) {
                lo++;
            }
            best = Math.max(best, hi - lo + 1);
        }
        return best;
    }
}
