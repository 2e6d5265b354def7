package io.resiliencekit.metrics;

import io.resiliencekit.internal.StripedCounter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and latency of one policy. Every counter is striped (a {@link LongAdder}, or for the
 * first-try successes a counter whose cells a thread can read), so threads that count at once do
 * not fight over one cache line. A call that succeeds at the first attempt costs one increment;
 * everything else is counted on the slow path.
 *
 * <pre>{@code
 * Map<String, Long> m = policy.metrics().snapshot();
 * long retries = m.get("retries");
 * }</pre>
 */
public final class PolicyMetrics {

    private final StripedCounter firstTrySuccesses = new StripedCounter();
    private final LongAdder slowCalls = new LongAdder();
    private final LongAdder slowSuccesses = new LongAdder();
    private final LongAdder slowAttempts = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder breakerRejections = new LongAdder();
    private final LongAdder budgetRejections = new LongAdder();
    private final LongAdder throttleWaitNanos = new LongAdder();
    private final LongAdder throttled = new LongAdder();
    private final LongAdder duplicatesSkipped = new LongAdder();
    private final LatencyHistogram latency = new LatencyHistogram();

    /**
     * The calling thread's cell of the first-try count, for {@link #dueForTiming} and
     * {@link #recordFirstTrySuccess(int)}: the engine reads it once per call.
     */
    public int firstTryCell() { return firstTrySuccesses.cellOfCurrentThread(); }
    /**
     * Whether the call starting now is one of the about 1 in {@code 2^bits} that are timed, decided
     * from its cell of the first-try count ({@link StripedCounter#dueOneIn}; a failed call counts
     * nothing, so the call after it decides the same). This is the latency sampling, without a random
     * draw per call.
     */
    public boolean dueForTiming(int cell, int bits) { return firstTrySuccesses.dueOneIn(cell, bits); }
    /** The whole bookkeeping of a call that succeeded at once (the hot path), for the cell read before it. */
    public void recordFirstTrySuccess(int cell) { firstTrySuccesses.increment(cell); }
    /** The same, for a caller that did not read its cell. */
    public void recordFirstTrySuccess() { firstTrySuccesses.add(1); }
    /** Several first-try successes counted elsewhere (a single-threaded caller) and added at once. */
    public void recordFirstTrySuccesses(long n) { firstTrySuccesses.add(n); }
    /** A call that needed the slow path (a failure or a refusal); its outcome is recorded separately. */
    public void recordSlowCall() { slowCalls.increment(); }
    public void recordSlowSuccess() { slowSuccesses.increment(); }
    public void recordSlowAttempts(int n) { slowAttempts.add(n); }
    public void recordGiveUp() { failed.increment(); }
    public void recordRetry() { retries.increment(); }
    public void recordBreakerRejection() { breakerRejections.increment(); }
    public void recordBudgetRejection() { budgetRejections.increment(); }
    public void recordThrottleWait(long nanos) { throttleWaitNanos.add(nanos); }
    public void recordThrottled() { throttled.increment(); }
    public void recordDuplicateSkipped() { duplicatesSkipped.increment(); }
    public void recordLatency(long nanos) { latency.record(nanos); }

    /** Calls started (each counts once, however many attempts it took). */
    public long calls() { return firstTrySuccesses.sum() + slowCalls.sum(); }
    public long succeeded() { return firstTrySuccesses.sum() + slowSuccesses.sum(); }
    /** Calls that ended in an exception: gave up, refused by the breaker or limiter. */
    public long failed() { return failed.sum(); }
    /** Times the action actually ran. */
    public long attempts() { return firstTrySuccesses.sum() + slowAttempts.sum(); }
    public long retries() { return retries.sum(); }
    public long breakerRejections() { return breakerRejections.sum(); }
    public long budgetRejections() { return budgetRejections.sum(); }
    public long throttleWaitNanos() { return throttleWaitNanos.sum(); }
    public long throttled() { return throttled.sum(); }
    public long duplicatesSkipped() { return duplicatesSkipped.sum(); }
    /** Sampled call latency (see the policy's latency sampling option). */
    public LatencyHistogram latency() { return latency; }

    /** All counters by name, in a stable order, for logs and reports. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("calls", calls());
        m.put("succeeded", succeeded());
        m.put("failed", failed());
        m.put("attempts", attempts());
        m.put("retries", retries());
        m.put("breakerRejections", breakerRejections());
        m.put("budgetRejections", budgetRejections());
        m.put("throttled", throttled());
        m.put("throttleWaitMillis", throttleWaitNanos() / 1_000_000L);
        m.put("duplicatesSkipped", duplicatesSkipped());
        m.put("latencyP50Micros", latency.quantileNanos(0.50) / 1000);
        m.put("latencyP99Micros", latency.quantileNanos(0.99) / 1000);
        return m;
    }
}
