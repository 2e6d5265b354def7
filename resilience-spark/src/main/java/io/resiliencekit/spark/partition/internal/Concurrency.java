package io.resiliencekit.spark.partition.internal;

/**
 * How many calls of one task may be in flight at once ({@code partition.concurrency}).
 *
 * <p>A number is kept as it is. {@code auto} with a rate limiter of known rate R keeps enough calls
 * in flight to spend R (Little's law): {@code ceil(1.5 x R x T) + 1}, between {@value #AUTO_MIN} and
 * {@value #AUTO_MAX}, where T is how long a call keeps its slot busy: its attempts (at the fastest
 * an attempt has lately been answered) plus the delays it waits before its retries (backoff and
 * {@code Retry-After}, on average), measured by the task on its own calls; waits for rate-limit
 * permits are left out, since they only mean the rate is spent. The attempt time is the recent
 * floor, not the average, so a dependency that slows down under load is not answered with ever more
 * calls in flight (latency that grows with concurrency would otherwise grow the concurrency): it
 * follows any faster answer at once and rises by 0.2% per call otherwise. The limit grows by at most
 * one per call, so a slow first call does not open the floodgates, and shrinks at once. Every task
 * aims at the whole R (it does not know how many others share it); the limiter's permits keep the
 * sum at R. {@code auto} without a rate limiter of known rate, with a resource not declared
 * thread-safe ({@code Partitions.threadSafeResource()}) or in the batch forms is 1: no rate to keep
 * busy, a resource may not be safe to share between calls (and one per call might surprise its
 * owner: a connection each), and a batch is big already.
 */
final class Concurrency {

    static final int AUTO_MIN = 2;
    static final int AUTO_MAX = 64;
    static final double WEIGHT = 0.05;
    private static final double HEADROOM = 1.5;
    private static final double FLOOR_CREEP = 1.002;

    private final double ratePerNano; // 0: fixed
    private int limit;
    private double attemptFloorNanos = -1;
    private double attemptsPerCall = 1;
    private double retryDelayPerCallNanos;

    private Concurrency(double ratePerSecond, int limit) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.limit = limit;
    }

    /**
     * @param configured {@code partition.concurrency}: a number, or 0 for auto
     * @param rate the policy's rate limit in permits per second when auto may adapt to it (a known
     *     rate, a form without a resource or with a thread-safe one, per record), else 0
     */
    static Concurrency of(int configured, double rate) {
        if (configured > 0) {
            return new Concurrency(0, configured);
        }
        return rate > 0 ? new Concurrency(rate, AUTO_MIN) : new Concurrency(0, 1);
    }

    int limit() {
        return limit;
    }

    /** True when calls run on helper threads through the asynchronous engine (more than one may be in flight). */
    boolean async() {
        return ratePerNano > 0 || limit > 1;
    }

    /**
     * A call ended after {@code nanos}, of which it waited {@code permitWaitNanos} for rate-limit
     * permits and {@code retryDelayNanos} before its retries, having made {@code attempts} attempts.
     */
    void onCallEnded(long nanos, long permitWaitNanos, long retryDelayNanos, int attempts) {
        if (ratePerNano == 0) {
            return;
        }
        int n = Math.max(1, attempts);
        double perAttempt = Math.max(0, nanos - permitWaitNanos - retryDelayNanos) / (double) n;
        attemptFloorNanos = attemptFloorNanos < 0 ? perAttempt : Math.min(perAttempt, attemptFloorNanos * FLOOR_CREEP);
        attemptsPerCall += WEIGHT * (n - attemptsPerCall);
        retryDelayPerCallNanos += WEIGHT * (retryDelayNanos - retryDelayPerCallNanos);
        double busy = attemptFloorNanos * attemptsPerCall + retryDelayPerCallNanos;
        long wanted = (long) Math.ceil(HEADROOM * ratePerNano * busy) + 1;
        limit = (int) Math.max(AUTO_MIN, Math.min(Math.min(AUTO_MAX, wanted), limit + 1L));
    }
}
