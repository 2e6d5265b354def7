package io.resiliencekit.spark.partition.internal;

/**
 * How many calls of one task may be in flight at once ({@code partition.concurrency}).
 *
 * <p>A number is kept as it is. {@code auto} with a rate limiter of known rate R keeps enough calls
 * in flight to spend R at the latency the task measures (Little's law): the task times every call
 * it makes (from start to end, retries and their delays included, waits for rate-limit permits
 * excluded, since those only mean the rate is spent) and keeps
 * {@code ceil(1.5 x R x latency) + 1} calls in flight, between {@value #AUTO_MIN} and
 * {@value #AUTO_MAX}, the latency being an exponentially weighted average over the last calls
 * (weight {@value #WEIGHT} each). So a call that waits out a retry delay or a slow answer does
 * not idle the task, slow dependencies get more calls in flight and fast ones fewer, and the
 * limiter, not the task, decides how many go out per second: every task aims at the whole R (it does
 * not know how many others share it), the limiter's permits keep the sum at R. {@code auto}
 * without a rate limiter of known rate, with a per-partition resource or in the batch forms is 1:
 * no rate to keep busy, a resource may not be safe to share between calls, and a batch is big already.
 */
final class Concurrency {

    static final int AUTO_MIN = 2;
    static final int AUTO_MAX = 64;
    static final double WEIGHT = 0.05;
    private static final double HEADROOM = 1.5;

    private final double ratePerNano; // 0: fixed
    private int limit;
    private double latencyNanos = -1;

    private Concurrency(double ratePerSecond, int limit) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.limit = limit;
    }

    /**
     * @param configured {@code partition.concurrency}: a number, or 0 for auto
     * @param rate the policy's rate limit in permits per second when auto may adapt to it (a known
     *     rate, a form without a resource, per record), else 0
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

    /** A call ended after {@code nanos}, of which it waited {@code permitWaitNanos} for rate-limit permits. */
    void onCallEnded(long nanos, long permitWaitNanos) {
        if (ratePerNano == 0) {
            return;
        }
        double busy = Math.max(0, nanos - permitWaitNanos);
        latencyNanos = latencyNanos < 0 ? busy : latencyNanos + WEIGHT * (busy - latencyNanos);
        long wanted = (long) Math.ceil(HEADROOM * ratePerNano * latencyNanos) + 1;
        limit = (int) Math.max(AUTO_MIN, Math.min(AUTO_MAX, wanted));
    }
}
