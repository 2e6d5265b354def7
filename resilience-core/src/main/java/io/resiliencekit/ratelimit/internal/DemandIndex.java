package io.resiliencekit.ratelimit.internal;

/**
 * The demands of a bucket's active clients, kept so that the max-min fair water level is found in
 * O(log S) for S demand slots, whatever the number of clients: demands are grouped into slots 4.4%
 * wide (16 per doubling, from 1e-6 to about 1.8e13 permits/s), and a Fenwick tree over the slots
 * holds their counts and sums. Adding or removing a client is O(log S) (O(1) in a bulk, then O(S) once) and allocates nothing.
 *
 * <p>Demands are summed in fixed point (1/1024 permit per second, at most {@link #MAX_DEMAND}), so
 * adding and removing clients in any order leaves the same sums: a ledger read back from storage
 * answers exactly as the one that wrote it.
 *
 * <p>The water level is exact when no slot straddles it; otherwise the clients of that one slot
 * are treated as wanting at least the level, which can only lower it (by less than a slot's
 * width), never raise the sum of allocations above the rate.
 */
final class DemandIndex {

    static final int SLOTS = 1024;
    private static final int PER_DOUBLING = 16;
    private static final double MIN_DEMAND = 1e-6;
    private static final double[] LOWER = new double[SLOTS];

    static {
        for (int s = 1; s < SLOTS; s++) {
            LOWER[s] = MIN_DEMAND * Math.pow(2, (s - 1) / (double) PER_DOUBLING);
        }
    }

    /** Demands above this count as this (no client takes a billion permits a second). */
    static final double MAX_DEMAND = 1e9;
    private static final double UNIT = 1024;

    private final long[] counts = new long[SLOTS + 1];
    private final long[] sums = new long[SLOTS + 1];
    // per slot, not cumulative: what the tree is rebuilt from after a bulk of changes
    private final long[] slotCounts = new long[SLOTS];
    private final long[] slotSums = new long[SLOTS];
    private boolean bulk;
    private long count;
    private long total;

    /** A demand as the index counts it. */
    static long units(double demand) {
        return (long) Math.ceil(Math.min(Math.max(0, demand), MAX_DEMAND) * UNIT); // up: the water level only lower
    }

    static int slotOf(double demand) {
        if (!(demand > MIN_DEMAND)) {
            return 0;
        }
        double s = Math.floor(PER_DOUBLING * (Math.log(demand / MIN_DEMAND) / Math.log(2))) + 1;
        return (int) Math.min(SLOTS - 1, s);
    }

    /** The lowest demand of slot {@code s} (0 for slot 0). */
    static double lowerBound(int s) {
        return LOWER[s];
    }

    void add(int slot, long units) {
        update(slot, 1, units);
        count++;
        total += units;
    }

    /** Takes out {@code clients} clients of slot {@code slot} whose demands sum to {@code units}. */
    void remove(int slot, long clients, long units) {
        update(slot, -clients, -units);
        count -= clients;
        total -= units;
    }

    long count() {
        return count;
    }

    double total() {
        return total / UNIT;
    }

    /**
     * Until {@link #endBulk()}, changes go to the slots only (O(1) each) and the tree is rebuilt
     * once (O(S)): for the many clients of a lapsing time bin. {@link #waterLevel} must not be
     * asked in between.
     */
    void beginBulk() {
        bulk = true;
    }

    void endBulk() {
        if (!bulk) {
            return;
        }
        bulk = false;
        java.util.Arrays.fill(counts, 0);
        java.util.Arrays.fill(sums, 0);
        for (int i = 1; i <= SLOTS; i++) {
            counts[i] += slotCounts[i - 1];
            sums[i] += slotSums[i - 1];
            int parent = i + (i & -i);
            if (parent <= SLOTS) {
                counts[parent] += counts[i];
                sums[parent] += sums[i];
            }
        }
    }

    private void update(int slot, long dc, long ds) {
        slotCounts[slot] += dc;
        slotSums[slot] += ds;
        if (bulk) {
            return;
        }
        for (int i = slot + 1; i <= SLOTS; i += i & -i) {
            counts[i] += dc;
            sums[i] += ds;
        }
    }

    /**
     * The max-min fair level for {@code rate}: every client gets {@code min(demand, level)}.
     * Infinite when all demands together fit in the rate.
     */
    double waterLevel(double rate) {
        if (bulk) {
            throw new IllegalStateException("demand index asked in the middle of a bulk change");
        }
        if (count == 0 || total() <= rate) {
            return Double.POSITIVE_INFINITY;
        }
        // Largest prefix p of slots with h(p) = sum(demands below p) + lowerBound(p) * clients(at or above p) <= rate;
        // h grows with p, so a Fenwick descent finds it.
        int pos = 0;
        long below = 0;
        long belowUnits = 0;
        for (int step = Integer.highestOneBit(SLOTS); step > 0; step >>= 1) {
            int next = pos + step;
            if (next <= SLOTS) {
                long c = below + counts[next];
                long u = belowUnits + sums[next];
                double s = u / UNIT;
                double h = next < SLOTS ? s + LOWER[next] * (count - c) : s;
                if (h <= rate) {
                    pos = next;
                    below = c;
                    belowUnits = u;
                }
            }
        }
        long above = count - below;
        return above <= 0 ? Double.POSITIVE_INFINITY : Math.max(0, (rate - belowUnits / UNIT) / above);
    }
}
