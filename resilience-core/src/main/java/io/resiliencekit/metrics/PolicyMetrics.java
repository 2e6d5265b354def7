package io.resiliencekit.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters and latency of one policy. Every counter is a {@link LongAdder}, so threads that count
 * at once do not fight over one cache line.
 *
 * <pre>{@code
 * Map<String, Long> m = policy.metrics().snapshot();
 * long retries = m.get("retries");
 * }</pre>
 */
public final class PolicyMetrics {

    private final LongAdder calls = new LongAdder();
    private final LongAdder succeeded = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder attempts = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder breakerRejections = new LongAdder();
    private final LongAdder budgetRejections = new LongAdder();
    private final LongAdder throttleWaitNanos = new LongAdder();
    private final LongAdder throttled = new LongAdder();
    private final LongAdder duplicatesSkipped = new LongAdder();
    private final LatencyHistogram latency = new LatencyHistogram();

    public void recordCall() { calls.increment(); }
    public void recordSuccess() { succeeded.increment(); }
    public void recordGiveUp() { failed.increment(); }
    public void recordAttempts(int n) { attempts.add(n); }
    public void recordRetry() { retries.increment(); }
    public void recordBreakerRejection() { breakerRejections.increment(); }
    public void recordBudgetRejection() { budgetRejections.increment(); }
    public void recordThrottleWait(long nanos) { throttleWaitNanos.add(nanos); }
    public void recordThrottled() { throttled.increment(); }
    public void recordDuplicateSkipped() { duplicatesSkipped.increment(); }
    public void recordLatency(long nanos) { latency.record(nanos); }

    public long calls() { return calls.sum(); }
    public long succeeded() { return succeeded.sum(); }
    public long failed() { return failed.sum(); }
    /** Attempts made, first tries included; on the fast path equal to successful first tries. */
    public long attempts() { return attempts.sum() + succeeded.sum() - successesAfterRetry(); }
    public long retries() { return retries.sum(); }
    public long breakerRejections() { return breakerRejections.sum(); }
    public long budgetRejections() { return budgetRejections.sum(); }
    public long throttleWaitNanos() { return throttleWaitNanos.sum(); }
    public long throttled() { return throttled.sum(); }
    public long duplicatesSkipped() { return duplicatesSkipped.sum(); }
    public LatencyHistogram latency() { return latency; }

    private final LongAdder successesAfterRetry = new LongAdder();
    /** A success that needed the slow path, whose attempts were counted by {@link #recordAttempts}. */
    public void recordSlowPathSuccess() { successesAfterRetry.increment(); }
    private long successesAfterRetry() { return successesAfterRetry.sum(); }

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
