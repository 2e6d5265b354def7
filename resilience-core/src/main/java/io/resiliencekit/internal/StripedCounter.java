package io.resiliencekit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter for a hot path that also says when to do something 1 time in n: striped like a
 * {@link java.util.concurrent.atomic.LongAdder} (threads add to cells a cache line apart, the sum
 * adds the cells), but a thread's cell is fixed by its id, so a caller can read its own cell.
 *
 * <p>That read replaces a random draw per call: a policy times a call when its thread's cell of the
 * first-try count says so ({@link #dueOneIn}). The decision scrambles the count (a Weyl sequence:
 * the count times the golden ratio), so calls that repeat with a period (a fast and a slow request
 * in turn) are sampled at every position of the period, not always at the same one. A random draw
 * cost about a fifth of the success path (see {@code docs/benchmarks.md}); a LongAdder cannot serve,
 * since it does not say which cell a thread adds to.
 *
 * <pre>{@code
 * StripedCounter calls = new StripedCounter();
 * int cell = calls.cellOfCurrentThread();
 * boolean sample = calls.dueOneIn(cell, 6);   // about 1 call in 2^6 = 64 of this cell
 * calls.increment(cell);
 * long total = calls.sum();
 * }</pre>
 *
 * <p>Cells are fixed in number, four per processor and at most 64, each 128 bytes: 1.1 KB on 2
 * processors, 8.3 KB from 16. Threads that share a cell still count exactly (the add is atomic);
 * they contend for its cache line, and unlike a LongAdder's a thread never moves to another cell.
 */
public final class StripedCounter {

    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs from one cell to the next: 128 bytes, so no two cells share a cache line or its prefetch pair. */
    private static final int SPACING = 16;
    private static final int MAX_CELLS = 64;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** Cell {@code i} is at {@code (i + 1) * SPACING}: the first is kept off the array header's line. */
    private final long[] cells;
    /** 64 minus log2 of the cell count: {@link #cellOfCurrentThread} keeps the top bits of the spread thread id. */
    private final int shift;

    public StripedCounter() {
        this(Runtime.getRuntime().availableProcessors() * 4);
    }

    /** A counter with {@code wantedCells} cells rounded up to a power of two, 2 to 64. */
    public StripedCounter(int wantedCells) {
        int wanted = Math.max(2, Math.min(MAX_CELLS, wantedCells));
        int n = Integer.highestOneBit(wanted - 1) << 1;   // the power of two at or above wanted (2..64)
        this.cells = new long[(n + 1) * SPACING];
        this.shift = 64 - Integer.numberOfTrailingZeros(n); // n >= 2, so shift <= 63 (a shift of 64 is 0 in Java)
    }

    /** The calling thread's cell, an index for {@link #increment} and {@link #dueOneIn} (never negative). */
    public int cellOfCurrentThread() {
        // Fibonacci hashing: consecutive thread ids (a pool's threads) land in different cells.
        long spread = Thread.currentThread().getId() * GOLDEN;
        return ((int) (spread >>> shift) + 1) * SPACING;
    }

    public void increment(int cell) {
        CELLS.getAndAdd(cells, cell, 1L);
    }

    public void add(long n) {
        CELLS.getAndAdd(cells, cellOfCurrentThread(), n);
    }

    /**
     * True for about 1 count in {@code 2^bits} of the cell ({@code bits} from 1 to 63): when the top
     * {@code bits} bits of the count times the golden ratio are zero. Over any run of counts the share
     * is within a few of exact, and every residue of a short period gets its share.
     */
    public boolean dueOneIn(int cell, int bits) {
        return oneIn((long) CELLS.getOpaque(cells, cell), bits);
    }

    /** The same decision for a count kept elsewhere (a single-threaded caller's own). */
    public static boolean oneIn(long count, int bits) {
        return (count * GOLDEN) >>> (64 - bits) == 0;
    }

    public long sum() {
        long s = 0;
        for (int i = SPACING; i < cells.length; i += SPACING) {
            s += (long) CELLS.getVolatile(cells, i);
        }
        return s;
    }
}
