package io.resiliencekit.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter for hot paths that also says when to do something once in n: striped like a
 * {@link java.util.concurrent.atomic.LongAdder} (threads add to cells a cache line apart, the sum
 * adds the cells), but a thread's cell is fixed by its id, so a caller can read its own cell.
 *
 * <p>That read replaces a random draw per call where a hot path does something 1 in n times: a
 * policy times a call when its thread's cell of the first-try count is at a multiple of the sampling
 * interval, and a breaker's window checks whether it is clean likewise. A random draw cost a fifth
 * of the success path (see {@code docs/benchmarks.md}); a LongAdder cannot serve, since it does not
 * say which cell a thread adds to.
 *
 * <pre>{@code
 * StripedCounter calls = new StripedCounter();
 * int cell = calls.cellOfCurrentThread();
 * boolean sample = calls.atMultiple(cell, 63);   // 1 call in 64 of this thread
 * calls.increment(cell);
 * long total = calls.sum();
 * }</pre>
 *
 * <p>Cells are fixed in number (four per processor, at most 128): threads that share a cell still
 * count exactly (the add is atomic); they only contend for its cache line.
 */
public final class StripedCounter {

    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs from one cell to the next: 128 bytes, so no two cells share a cache line or its prefetch pair. */
    private static final int SPACING = 16;
    private static final int MAX_CELLS = 128;

    /** Cell {@code i} is at {@code (i + 1) * SPACING}: the first is kept off the array header's line. */
    private final long[] cells;
    /** 64 minus log2 of the cell count: {@link #cellOf} keeps the top bits of the spread thread id. */
    private final int shift;

    public StripedCounter() {
        this(Runtime.getRuntime().availableProcessors() * 4);
    }

    /** A counter with about {@code wantedCells} cells (a power of two, 2 to 128). */
    public StripedCounter(int wantedCells) {
        int n = Math.max(2, Math.min(MAX_CELLS, Integer.highestOneBit(Math.max(1, wantedCells - 1)) << 1));
        this.cells = new long[(n + 1) * SPACING];
        this.shift = 64 - Integer.numberOfTrailingZeros(n);   // n >= 2, so shift <= 63 (a shift of 64 is 0 in Java)
    }

    /** The calling thread's cell (an index into the cells); pass it to {@link #increment} and {@link #atMultiple}. */
    public int cellOfCurrentThread() {
        // Fibonacci hashing: consecutive thread ids (a pool's threads) land in different cells.
        long spread = Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;
        return ((int) (spread >>> shift) + 1) * SPACING;
    }

    public void increment(int cell) {
        CELLS.getAndAdd(cells, cell, 1L);
    }

    public void increment() {
        CELLS.getAndAdd(cells, cellOfCurrentThread(), 1L);
    }

    public void add(long n) {
        CELLS.getAndAdd(cells, cellOfCurrentThread(), n);
    }

    /** True when the cell's count is a multiple of {@code mask + 1} ({@code mask} is a power of two less one). */
    public boolean atMultiple(int cell, int mask) {
        return ((long) CELLS.getOpaque(cells, cell) & mask) == 0;
    }

    public long sum() {
        long s = 0;
        for (int i = SPACING; i < cells.length; i += SPACING) {
            s += (long) CELLS.getVolatile(cells, i);
        }
        return s;
    }
}
