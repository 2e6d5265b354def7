package io.resiliencekit.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The count of calls that succeeded at their first attempt: the one counter on a policy's hot path.
 *
 * <p>It is striped like a {@link java.util.concurrent.atomic.LongAdder} (threads add to cells a cache
 * line apart, the sum adds the cells), but a thread's cell is fixed by its id, so the caller can read
 * its own cell. That read is the policy's latency sampling: a call is timed when its thread's cell
 * is at a multiple of the sampling interval. It replaces a random draw per call, which cost a third
 * of the success path (see {@code docs/benchmarks.md}). A LongAdder cannot serve here: it does not
 * say which cell a thread adds to.
 *
 * <p>Cells are fixed in number (four per processor, at most 128): two threads that share a cell
 * still count exactly (the add is atomic), they only contend for its cache line.
 */
final class FirstTryCounter {

    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs from one cell to the next: 128 bytes, so no two cells share a cache line or its prefetch pair. */
    private static final int SPACING = 16;
    private static final int MAX_CELLS = 128;

    /** Cell {@code i} is at {@code (i + 1) * SPACING}: the first is kept off the array header's line. */
    private final long[] cells;
    /** 64 minus log2 of the cell count: {@link #cellOf} keeps the top bits of the spread thread id. */
    private final int shift;

    FirstTryCounter() {
        this(Runtime.getRuntime().availableProcessors() * 4);
    }

    FirstTryCounter(int wantedCells) {
        int n = Math.max(2, Math.min(MAX_CELLS, Integer.highestOneBit(Math.max(1, wantedCells - 1)) << 1));
        this.cells = new long[(n + 1) * SPACING];
        this.shift = 64 - Integer.numberOfTrailingZeros(n);   // n >= 2, so shift <= 63 (a shift of 64 is 0 in Java)
    }

    /** The calling thread's cell (an index into the cells); pass it to {@link #increment} and {@link #atMultiple}. */
    int cellOfCurrentThread() {
        // Fibonacci hashing: consecutive thread ids (a pool's threads) land in different cells.
        long spread = Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;
        return ((int) (spread >>> shift) + 1) * SPACING;
    }

    void increment(int cell) {
        CELLS.getAndAdd(cells, cell, 1L);
    }

    void add(long n) {
        CELLS.getAndAdd(cells, cellOfCurrentThread(), n);
    }

    /** True when the cell's count is a multiple of {@code mask + 1} ({@code mask} is a power of two less one). */
    boolean atMultiple(int cell, int mask) {
        return ((long) CELLS.getOpaque(cells, cell) & mask) == 0;
    }

    long sum() {
        long s = 0;
        for (int i = SPACING; i < cells.length; i += SPACING) {
            s += (long) CELLS.getVolatile(cells, i);
        }
        return s;
    }
}
