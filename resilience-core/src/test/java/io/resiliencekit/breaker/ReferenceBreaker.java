package io.resiliencekit.breaker;

import io.resiliencekit.CircuitState;
import io.resiliencekit.time.Ticker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The breaker of {@link CircuitBreaker}'s Javadoc, written the plain way: every outcome is kept in
 * a list (the last {@code windowSize} of them, or those of the last 20 buckets of
 * {@code windowDuration / 20}), and the rates are computed from the whole list after every outcome.
 * Single-threaded; a test oracle for {@link CircuitBreakerEquivalenceTest}, nothing else.
 */
final class ReferenceBreaker {

    /** One recorded outcome; {@code bucket} is used by the time window only. */
    private record Outcome(long bucket, boolean failed, boolean slow) {
    }

    private final CircuitBreakerConfig config;
    private final Ticker ticker;
    private final boolean countWindow;
    private final long bucketNanos;
    private final long origin;
    private final long slowNanos;
    private final int minimumCalls;
    private final ArrayDeque<Outcome> window = new ArrayDeque<>();
    final List<String> transitions = new ArrayList<>();

    CircuitState state = CircuitState.CLOSED;
    private long openUntil;
    private int consecutiveOpens;
    private int permits;
    private int trialCalls;
    private int trialFailures;
    private int trialSlow;
    long notPermitted;

    ReferenceBreaker(CircuitBreakerConfig config, Ticker ticker) {
        this.config = config;
        this.ticker = ticker;
        this.countWindow = config.windowType() == CircuitBreakerConfig.WindowType.COUNT;
        this.bucketNanos = Math.max(1, config.windowDuration().toNanos() / 20);
        this.origin = ticker.nanoTime();
        this.slowNanos = config.slowCallDurationThreshold().map(d -> d.toNanos()).orElse(Long.MAX_VALUE);
        this.minimumCalls = countWindow ? Math.min(config.minimumCalls(), config.windowSize()) : config.minimumCalls();
    }

    boolean tryAcquirePermission() {
        if (state == CircuitState.OPEN && ticker.nanoTime() >= openUntil) {
            moveTo(CircuitState.HALF_OPEN);
            permits = config.permittedCallsInHalfOpen();
            trialCalls = 0;
            trialFailures = 0;
            trialSlow = 0;
        }
        if (state == CircuitState.CLOSED) {
            return true;
        }
        if (state == CircuitState.HALF_OPEN && permits > 0) {
            permits--;
            return true;
        }
        notPermitted++;
        return false;
    }

    void releasePermission() {
        if (state == CircuitState.HALF_OPEN && permits < config.permittedCallsInHalfOpen()) {
            permits++;
        }
    }

    void onSuccess(long durationNanos) {
        record(false, durationNanos >= slowNanos);
    }

    void onFailure(long durationNanos) {
        record(true, durationNanos >= slowNanos);
    }

    private void record(boolean failed, boolean slow) {
        if (state == CircuitState.CLOSED) {
            window.addLast(new Outcome(bucket(), failed, slow));
            expire();
            int calls = window.size();
            if (calls >= minimumCalls && exceeds(count(true), count(false), calls)) {
                open();
            }
        } else if (state == CircuitState.HALF_OPEN) {
            trialCalls++;
            trialFailures += failed ? 1 : 0;
            trialSlow += slow ? 1 : 0;
            if (trialCalls >= config.permittedCallsInHalfOpen()) {
                if (exceeds(trialFailures, trialSlow, trialCalls)) {
                    open();
                } else {
                    consecutiveOpens = 0;
                    window.clear();
                    moveTo(CircuitState.CLOSED);
                }
            }
        }
    }

    /** {callsInWindow, failedCalls, slowCalls} as {@link CircuitBreaker#metrics()} reports them. */
    int[] metrics() {
        if (state == CircuitState.HALF_OPEN) {
            return new int[] {trialCalls, trialFailures, trialSlow};
        }
        expire();
        return new int[] {window.size(), count(true), count(false)};
    }

    int consecutiveOpens() {
        return consecutiveOpens;
    }

    private void open() {
        consecutiveOpens++;
        openUntil = ticker.nanoTime() + config.openDurationFor(consecutiveOpens).toNanos();
        moveTo(CircuitState.OPEN);
    }

    private void moveTo(CircuitState to) {
        transitions.add(state + "->" + to);
        state = to;
    }

    private boolean exceeds(int failures, int slow, int calls) {
        return (double) failures / calls >= config.failureRateThreshold()
            || (config.slowCallDurationThreshold().isPresent() && (double) slow / calls >= config.slowCallRateThreshold());
    }

    private long bucket() {
        return Math.max(0, (ticker.nanoTime() - origin) / bucketNanos);
    }

    private void expire() {
        if (countWindow) {
            while (window.size() > config.windowSize()) {
                window.removeFirst();
            }
            return;
        }
        long now = bucket();
        for (Iterator<Outcome> it = window.iterator(); it.hasNext(); ) {
            if (now - it.next().bucket() >= 20) {
                it.remove();
            }
        }
    }

    private int count(boolean failures) {
        int n = 0;
        for (Outcome o : window) {
            if (failures ? o.failed() : o.slow()) {
                n++;
            }
        }
        return n;
    }
}
