package io.resiliencekit.ratelimit.internal;

/**
 * The rate a bucket grants at, moved by throttle signals: a multiplicative cut on each throttle
 * episode, then a CUBIC-shaped climb (as in TCP CUBIC, RFC 9438) that returns to the rate where
 * the service last pushed back within {@link #RECOVERY_NANOS}, stays near it, and then probes
 * beyond it faster and faster. With a fixed rate R the climb stops at R (R is then a ceiling the
 * bucket backs off from); with {@code rate=auto} the climb starts with a slow start (doubling every
 * second) and stops only at the optional ceiling. The rate grows only while clients want more than
 * it (demand at or above 90% of it), so an idle job does not probe its way to a rate it never tried.
 *
 * <p>Within an episode, further throttle answers refine the cut: the authority knows how many
 * tokens clients spent since the cut (from what they report held) and how many of their calls were
 * throttled, a fraction f. The service's limit is then at least what it accepted, {@code (spent -
 * throttled) / time}, and about {@code rate * (1 - f)}; the rate is cut to 90% of the larger (and
 * the climb aims back at it). The larger, because right after a cut the clients send less than
 * the service accepts and the first figure alone would undershoot. A fourfold overshoot is undone
 * within about one lease, where cuts by {@link #BETA} alone would take four episodes.
 *
 * <p>Scale-free: the climb is {@code W(t) = wMax * (1 + (1 - BETA) * ((t - K) / K)^3)}, so a
 * service limited to 100/s and one limited to 100,000/s see the same shape. Not thread-safe (the
 * ledger's lock).
 */
final class RateControl {

    /** Multiplicative decrease on a throttle episode. */
    static final double BETA = 0.7;
    /** K: time to climb back from BETA * wMax to wMax. */
    static final long RECOVERY_NANOS = 4_000_000_000L;
    /** Slow start doubles the rate this often. */
    static final long DOUBLING_NANOS = 1_000_000_000L;
    /** Starting rate of {@code rate=auto} without a ceiling. */
    static final double DEFAULT_INITIAL = 10;

    private static final long NONE = Long.MIN_VALUE;

    double ceiling;
    double floor;
    double current;
    double wMax = Double.NaN;
    long epochStart = NONE;
    long lastCut = NONE;
    long lastUpdate = NONE;
    boolean slowStart;
    // the episode since the last cut: tokens spent, calls throttled, since when
    long spent;
    long throttled;
    long windowStart = NONE;

    /** A fixed rate: R, backing off from it on throttle signals and climbing back to it. */
    void fixed(double rate) {
        ceiling = rate;
        floor = rate / 1000;
        current = rate;
        slowStart = false;
        wMax = Double.NaN;
        epochStart = NONE;
    }

    /** Where {@code rate=auto} starts: a tenth of its ceiling (at least 10/s), or 10/s without one. */
    static double initial(double ceiling, boolean hasCeiling) {
        return hasCeiling ? Math.min(ceiling, Math.max(DEFAULT_INITIAL, ceiling / 10)) : DEFAULT_INITIAL;
    }

    /** {@code rate=auto} up to {@code ceiling} (a huge number when there is none). */
    void adaptive(double ceiling, boolean hasCeiling) {
        this.ceiling = ceiling;
        double initial = initial(ceiling, hasCeiling);
        this.floor = Math.min(initial, Math.max(0.01, initial / 100));
        this.current = initial;
        this.slowStart = true;
        this.wMax = Double.NaN;
        this.epochStart = NONE;
    }

    /** The rate at {@code now}; grows only when {@code saturated} (clients want at least 90% of it). */
    double update(long now, boolean saturated) {
        long dt = lastUpdate == NONE ? 0 : Math.max(0, now - lastUpdate);
        lastUpdate = now;
        if (current >= ceiling) {
            current = ceiling;
            if (epochStart != NONE) {
                epochStart += dt; // hold the curve at the ceiling
            }
            return current;
        }
        if (!saturated || dt == 0) {
            if (epochStart != NONE) {
                epochStart += dt; // time without demand does not count as time without throttling
            }
            return current;
        }
        if (slowStart) {
            current = Math.min(ceiling, current * Math.pow(2, dt / (double) DOUBLING_NANOS));
        } else if (epochStart != NONE) {
            double x = (now - epochStart - RECOVERY_NANOS) / (double) RECOVERY_NANOS;
            double w = wMax * (1 + (1 - BETA) * x * x * x);
            current = Math.max(current, Math.min(ceiling, w));
        }
        return current;
    }

    /** Tokens clients report spent since their previous request. */
    void onSpent(long tokens) {
        spent += tokens;
    }

    /**
     * {@code count} throttle answers: a new episode cuts the rate by {@link #BETA} (at most once per
     * {@code episodeNanos}: the answers to one overshoot arrive within about a lease period and must
     * not cut it once each); within an episode, the rate is cut to 90% of what the service accepted.
     *
     * @return the factor the rate was cut by (1: not cut)
     */
    double onThrottle(long now, long episodeNanos, int count) {
        if (lastCut != NONE && now - lastCut < episodeNanos) {
            throttled += count;
            long elapsed = now - windowStart;
            if (elapsed < episodeNanos / 4 || spent < 8 || throttled * 20 < spent) {
                return 1; // too little seen yet, or too few throttled to say more than the first cut did
            }
            double accepted = Math.max(0, spent - throttled) * 1e9 / elapsed;
            double f = Math.min(1, throttled / (double) spent);
            double limit = Math.max(accepted, current * (1 - f));
            double target = Math.max(floor, 0.9 * limit);
            if (target >= current) {
                return 1;
            }
            double factor = target / current;
            current = target;
            wMax = limit;
            epochStart = now;
            return factor;
        }
        spent = 0;
        throttled = count;
        windowStart = now;
        double before = current;
        // CUBIC's fast convergence: pushed back below the last plateau, the service's limit has dropped,
        // so aim the next plateau lower still
        wMax = !Double.isNaN(wMax) && before < wMax ? before * (1 + BETA) / 2 : before;
        current = Math.max(floor, before * BETA);
        epochStart = now;
        lastCut = now;
        slowStart = false;
        return current / before;
    }

    String encode() {
        return ceiling + " " + floor + " " + current + " " + wMax + " " + epochStart + " " + lastCut + " " + lastUpdate
            + " " + slowStart + " " + spent + " " + throttled + " " + windowStart;
    }

    static RateControl decode(String[] f, int at) {
        RateControl c = new RateControl();
        c.ceiling = Double.parseDouble(f[at]);
        c.floor = Double.parseDouble(f[at + 1]);
        c.current = Double.parseDouble(f[at + 2]);
        c.wMax = Double.parseDouble(f[at + 3]);
        c.epochStart = Long.parseLong(f[at + 4]);
        c.lastCut = Long.parseLong(f[at + 5]);
        c.lastUpdate = Long.parseLong(f[at + 6]);
        c.slowStart = Boolean.parseBoolean(f[at + 7]);
        c.spent = Long.parseLong(f[at + 8]);
        c.throttled = Long.parseLong(f[at + 9]);
        c.windowStart = Long.parseLong(f[at + 10]);
        return c;
    }

    /** Copies {@code o}'s state into this one. */
    void copyFrom(RateControl o) {
        ceiling = o.ceiling;
        floor = o.floor;
        current = o.current;
        wMax = o.wMax;
        epochStart = o.epochStart;
        lastCut = o.lastCut;
        lastUpdate = o.lastUpdate;
        slowStart = o.slowStart;
        spent = o.spent;
        throttled = o.throttled;
        windowStart = o.windowStart;
    }

    static final int ENCODED_FIELDS = 11;
}
