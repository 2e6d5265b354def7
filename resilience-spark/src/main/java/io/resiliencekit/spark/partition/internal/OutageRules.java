package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.FailureKind;
import io.resiliencekit.RateLimitedException;
import io.resiliencekit.ResilienceException;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.classify.Classification;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.retry.Backoff;
import io.resiliencekit.retry.RetryConfig;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Decides, when a record's call failed, whether the failure is the record's (it is finished as
 * failed: dead-lettered, or failing the task) or not (it waits and is called again, with fresh
 * attempts, until {@code partition.outageMaxWait} has passed since it first waited).
 *
 * <p>Not the record's fault: an open breaker; no rate-limit permit within {@code rateLimit.maxWait};
 * throttling (429, or what the classifier calls throttled); a spent retry budget (many calls are
 * failing); the idempotency store failing; and transient failures while the dependency fails for
 * every call: no call of the policy in this JVM succeeded since the record first failed and others
 * failed too, or the breaker is no longer closed. A transient failure while other calls succeed (or
 * with no other call to tell) is called again after a pause, and counts as the record's once
 * {@value #SUSPECT_CALLS} calls for it failed so: random faults do not reach that, a record the
 * service always fails does in about a second. Permanent failures are always the record's.
 */
final class OutageRules {

    static final long MIN_PAUSE_NANOS = 10_000_000L;
    static final long MAX_PAUSE_NANOS = 1_000_000_000L;
    static final long HALF_OPEN_PAUSE_NANOS = 50_000_000L;
    /**
     * Calls (each with all its attempts) a record may fail transiently while the dependency looks up
     * before the failure counts as the record's: at 4% random faults per attempt, three calls of three
     * attempts all failing is a 1-in-4-trillion event, while a record that always fails is known after
     * a second or so.
     */
    static final int SUSPECT_CALLS = 3;

    /** What to do with a failed call. */
    static final class Verdict {
        final boolean again;   // wait, then call again (else the failure is final)
        final String why;
        final long pauseNanos;

        private Verdict(boolean again, String why, long pauseNanos) {
            this.again = again;
            this.why = why;
            this.pauseNanos = pauseNanos;
        }

        static Verdict record(String why) {
            return new Verdict(false, why, 0);
        }

        static Verdict callAgain(String why, long pauseNanos) {
            return new Verdict(true, why, pauseNanos);
        }
    }

    private final ResiliencePolicy policy;
    private final CircuitBreaker breaker;
    private final Backoff backoff;
    private final Duration retryAfterCap;
    private final long maxWaitNanos;
    private final String maxWaitText;

    OutageRules(ResiliencePolicy policy, Duration outageMaxWait) {
        this.policy = policy;
        this.breaker = policy.circuitBreaker().orElse(null);
        RetryConfig retry = policy.config().retry().orElse(RetryConfig.defaults());
        this.backoff = retry.backoff();
        this.retryAfterCap = policy.config().retry().map(RetryConfig::retryAfterCap).orElse(RetryConfig.DEFAULT_RETRY_AFTER_CAP);
        this.maxWaitNanos = saturated(outageMaxWait);
        this.maxWaitText = outageMaxWait.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    /** The breaker refuses calls right now: wait this long before asking again, or 0 to call. */
    long breakerPause() {
        if (breaker == null || breaker.isClosed() || !breaker.refusesNow()) {
            return 0;
        }
        return pauseForOpenBreaker(breaker.remainingOpenTime());
    }

    static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while (cur instanceof CompletionException && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    /** Judges {@code failure}, the end of the unit's latest call (its counts already taken). */
    Verdict judge(Unit<?, ?, ?> u, Throwable failure, long nowNanos) {
        Verdict v = classify(u, failure);
        if (!v.again) {
            return v;
        }
        if (u.outageSinceNanos < 0) {
            u.outageSinceNanos = nowNanos;
        }
        if (nowNanos - u.outageSinceNanos >= maxWaitNanos) {
            return Verdict.record("still failing after waiting " + maxWaitText + " (partition.outageMaxWait) for an outage: "
                + v.why);
        }
        return v;
    }

    private Verdict classify(Unit<?, ?, ?> u, Throwable failure) {
        if (failure instanceof CircuitOpenException) {
            return Verdict.callAgain("the circuit breaker is open", pauseForOpenBreaker(((CircuitOpenException) failure).retryAfter()));
        }
        if (failure instanceof RateLimitedException) {
            return Verdict.callAgain("no rate-limit permit within rateLimit.maxWait", roundPause(u));
        }
        if (!(failure instanceof CallFailedException)) {
            return Verdict.record(failure instanceof ResilienceException ? "failed" : "failed before or outside the policy's call");
        }
        CallFailedException f = (CallFailedException) failure;
        String reason = f.reason();
        if ("interrupted".equals(reason)) {
            return Verdict.record("interrupted");
        }
        if (f.failureKind() == FailureKind.PERMANENT || "aborted".equals(reason) || "result check failed".equals(reason)) {
            return Verdict.record("permanent".equals(reason) ? "permanent failure" : "permanent failure (" + reason + ")");
        }
        if (f.failureKind() == FailureKind.THROTTLED) {
            return Verdict.callAgain("throttled by the service", throttlePause(u, f));
        }
        if ("retry budget".equals(reason)) {
            return Verdict.callAgain("the retry budget is spent (many calls are failing)", roundPause(u));
        }
        if ("idempotency store".equals(reason)) {
            return Verdict.callAgain("the idempotency store failed", roundPause(u));
        }
        if (breaker != null && !breaker.isClosed()) {
            return Verdict.callAgain("the circuit breaker opened", pauseForOpenBreaker(breaker.remainingOpenTime()));
        }
        boolean othersSucceeded = u.trace.othersSucceededSince() > 0;
        if (!othersSucceeded && u.trace.othersFailedSince() > 0) {
            return Verdict.callAgain("the dependency fails for every call (no call succeeded since this record first failed)",
                roundPause(u));
        }
        // other calls succeed (or none tells): this record's own failures, unless it was unlucky
        if (++u.suspectCalls < SUSPECT_CALLS) {
            return Verdict.callAgain(othersSucceeded ? "failed while other calls succeeded; called again"
                : "no other call to tell whether the dependency is up; called again", roundPause(u));
        }
        return Verdict.record("gave up (" + reason + ") in " + SUSPECT_CALLS + " calls "
            + (othersSucceeded ? "while other calls succeeded" : "with no other call to tell whether the dependency is down"));
    }

    private static long pauseForOpenBreaker(Duration remaining) {
        if (remaining == null || remaining.isZero() || remaining.isNegative()) {
            return HALF_OPEN_PAUSE_NANOS; // half-open, trials taken: ask again soon
        }
        return Math.max(MIN_PAUSE_NANOS, Math.min(MAX_PAUSE_NANOS, saturated(remaining)));
    }

    /** The policy's backoff for the unit's next call, with its jitter, between 10 ms and 1 s. */
    private long roundPause(Unit<?, ?, ?> u) {
        long d = backoff.delayNanos(Math.max(1, u.failedCalls), u.lastPauseNanos, ThreadLocalRandom.current());
        return Math.max(MIN_PAUSE_NANOS, Math.min(MAX_PAUSE_NANOS, d));
    }

    /** The server's hint capped by retryAfterCap (as the engine caps it), else the backoff; at most 1 s at a time. */
    private long throttlePause(Unit<?, ?, ?> u, CallFailedException f) {
        Throwable last = f.getCause();
        if (last != null) {
            try {
                Classification c = policy.config().classifier().classify(last, System.currentTimeMillis());
                Duration hint = c.retryAfter();
                if (hint != null) {
                    Duration capped = hint.compareTo(retryAfterCap) > 0 ? retryAfterCap : hint;
                    return Math.max(MIN_PAUSE_NANOS, Math.min(MAX_PAUSE_NANOS, saturated(capped)));
                }
            } catch (RuntimeException ruleFailed) {
                // a classifier rule that throws: fall back to the backoff
            }
        }
        return roundPause(u);
    }

    static long saturated(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
