package io.resiliencekit.policy;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.internal.StripedCounter;
import io.resiliencekit.logging.MdcScope;
import io.resiliencekit.metrics.PolicyMetrics;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.spi.RetryBudget;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Drives a call through the policy's stages, in this order (pinned by {@code StageOrderTest}):
 *
 * <pre>
 *   idempotency guard        once per call: claim the key (wait while another holder runs it), replay a completed one
 *   └─ retry                 attempts until success, a permanent failure, or attempts/deadline/budget run out
 *        ├─ early refusal    an open breaker refuses before anything is taken
 *        ├─ rate limit       one permit per attempt (may wait up to rateLimit.maxWait)
 *        ├─ circuit breaker  a permission per attempt (a trial when half-open)
 *        └─ the action       its outcome goes back to every stage entered, in reverse order
 * </pre>
 *
 * <p>Every decision is a method of {@link Execution}; the synchronous driver ({@link #call}) and the
 * asynchronous one ({@link #callStage}) differ only in how they wait (a sleep on the {@link Ticker}
 * or a scheduled continuation) and how they run the action. A call whose first attempt passes every
 * stage at once and succeeds never allocates an {@code Execution}: the fast path below makes the same
 * stage calls inline.
 */
final class CallEngine {

    final String name;
    final Ticker ticker;
    final PolicyMetrics metrics;
    final EventPublisher events;
    final FailureClassifier classifier;
    final boolean checkResults;
    final RetryConfig retry;
    /** The retry deadline of a call, read once (no Optional per retry); Long.MAX_VALUE when none. */
    final long maxDurationNanos;
    final RetryBudget budget;
    final IdempotencyGuard guard;
    final RateLimitStage limit;
    final BreakerStage breaker;
    /** Every attempt stage in order; the slow path iterates it, the fast path calls the same stages directly. */
    final AttemptStage[] stages;
    private final SplittableRandom seeded;
    private final boolean timeEveryCall;
    /** log2 of metrics.latencySampling (a power of two at most it), 1 or more; -1: no sampling. */
    private final int samplingBits;
    /** How many first-try successes a {@link ResiliencePolicy.Caller} may keep before adding them to the metrics. */
    final int callerFlushEvery;
    final GiveUpLog giveUps;

    CallEngine(String name, Ticker ticker, PolicyMetrics metrics, EventPublisher events, FailureClassifier classifier,
               RetryConfig retry, RetryBudget budget, IdempotencyGuard guard, RateLimiter limiter, Duration maxWait,
               CircuitBreaker breaker, int latencySampling, long seedSalt) {
        this.name = name;
        this.ticker = ticker;
        this.metrics = metrics;
        this.events = events;
        this.classifier = classifier;
        this.checkResults = !classifier.ignoresResults();
        this.retry = retry;
        this.maxDurationNanos = retry == null ? Long.MAX_VALUE
            : retry.maxDuration().map(Duration::toNanos).orElse(Long.MAX_VALUE);
        this.budget = budget;
        this.guard = guard;
        this.limit = limiter == null ? null : new RateLimitStage(limiter, maxWait, this);
        this.breaker = breaker == null ? null : new BreakerStage(breaker, this);
        if (this.limit != null && this.breaker != null) {
            stages = new AttemptStage[] {this.limit, this.breaker};
        } else if (this.limit != null) {
            stages = new AttemptStage[] {this.limit};
        } else if (this.breaker != null) {
            stages = new AttemptStage[] {this.breaker};
        } else {
            stages = new AttemptStage[0];
        }
        this.seeded = retry == null ? null : retry.seed().map(s -> new SplittableRandom(s ^ seedSalt)).orElse(null);
        this.timeEveryCall = latencySampling == 1 || (breaker != null && breaker.needsTiming());
        int sampling = Integer.highestOneBit(Math.max(0, latencySampling));
        this.samplingBits = sampling <= 1 ? -1 : Integer.numberOfTrailingZeros(sampling); // 1: timeEveryCall
        this.callerFlushEvery = callerFlushEvery(budget == null ? null : retry);
        this.giveUps = new GiveUpLog(ticker);
    }

    /**
     * The retry budget deposits per call and keeps at most its reserve: calls that reach it late, in
     * one lump, are mostly lost above the reserve (1,024 calls at ratio 0.2 are 205 tokens against a
     * reserve of 50). So a caller flushes before its lump is worth a quarter of the reserve (62 calls
     * with the defaults), which keeps the budget within a few tokens of what it would see call by call.
     */
    static int callerFlushEvery(RetryConfig budgeted) {
        int most = ResiliencePolicy.Caller.MAX_FLUSH_EVERY;
        if (budgeted == null || budgeted.budgetRatio() <= 0) {
            return most;
        }
        double calls = budgeted.budgetReserve() / (4.0 * budgeted.budgetRatio());
        return (int) Math.max(1, Math.min(most, calls));
    }

    // ------------------------------------------------------------------------------- synchronous

    /**
     * The fast path: the first attempt, when every stage lets it through at once and it succeeds.
     * It is kept small (well under the JIT's inlining limit of 325 bytecodes) so that it inlines
     * into the caller; everything rare (a context, a refusal, a timed or checked call, a failure) is
     * out of line.
     */
    <T> T call(CallContext context, CheckedSupplier<T> action, ResiliencePolicy.Caller site) {
        if (context != CallContext.NONE && needsSlowStart(context)) {
            return slowCall(context, action, site);
        }
        BreakerStage b = breaker;
        if (b != null && !b.breaker.isClosed()) {
            return slowCall(context, action, site);
        }
        RateLimitStage l = limit;
        if (l != null && !l.tryEnter()) {
            return slowCall(context, action, site);
        }
        int cell = site == null ? metrics.firstTryCell() : -1; // a Caller counts and samples on its own
        boolean timed = timeEveryCall || (site == null ? sampled(cell) : site.sampled());
        if (timed || checkResults) {
            return timedOrCheckedFirstAttempt(context, action, site, timed, cell);
        }
        T result;
        try {
            result = action.get();
        } catch (Exception e) {
            return afterFailedFirstAttempt(context, action, site, e, null, false, -1L, ticker.nanoTime());
        } catch (Error e) {
            Execution.firstAttemptError(this);
            throw e;
        }
        if (b != null) {
            b.breaker.onSuccess(-1L); // a success while CLOSED causes no transition: nothing for the site to hear
        }
        if (site == null) {
            metrics.recordFirstTrySuccess(cell);
        } else {
            site.countFirstTrySuccess();
        }
        return result;
    }

    private <T> T slowCall(CallContext context, CheckedSupplier<T> action, ResiliencePolicy.Caller site) {
        return new Execution<T>(this, context, site).runSync(action);
    }

    /** The first attempt of a call that is timed (1 in {@code latencySampling}) or whose result is checked. */
    private <T> T timedOrCheckedFirstAttempt(CallContext context, CheckedSupplier<T> action,
                                             ResiliencePolicy.Caller site, boolean timed, int cell) {
        long start = timed ? ticker.nanoTime() : 0L;
        T result;
        try {
            result = action.get();
        } catch (Exception e) {
            return afterFailedFirstAttempt(context, action, site, e, null, false,
                timed ? ticker.nanoTime() - start : -1L, timed ? start : ticker.nanoTime());
        } catch (Error e) {
            Execution.firstAttemptError(this);
            throw e;
        }
        if (checkResults) {
            boolean failed;
            try {
                failed = classifier.isFailureResult(result);
            } catch (RuntimeException checkFailed) {
                // a failureIfResult predicate threw: the attempt failed, permanently (see Execution#onValue)
                return afterFailedFirstAttempt(context, action, site, checkFailed, null, true,
                    timed ? ticker.nanoTime() - start : -1L, timed ? start : ticker.nanoTime());
            }
            if (failed) {
                return afterFailedFirstAttempt(context, action, site, null, result, false,
                    timed ? ticker.nanoTime() - start : -1L, timed ? start : ticker.nanoTime());
            }
        }
        long d = timed ? ticker.nanoTime() - start : -1L;
        BreakerStage b = breaker;
        if (b != null) {
            b.breaker.onSuccess(d);
        }
        if (timed) {
            metrics.recordLatency(d);
        }
        if (site == null) {
            metrics.recordFirstTrySuccess(cell);
        } else {
            site.countFirstTrySuccess();
        }
        return result;
    }

    private <T> T afterFailedFirstAttempt(CallContext context, CheckedSupplier<T> action, ResiliencePolicy.Caller site,
                                          Throwable failure, Object failedResult, boolean resultCheckFailed,
                                          long durationNanos, long startNanos) {
        return new Execution<T>(this, context, site)
            .afterFirstAttempt(failure, failedResult, resultCheckFailed, durationNanos, startNanos).runSync(action);
    }

    private boolean needsSlowStart(CallContext context) {
        return !context.attributes().isEmpty() || (guard != null && context.idempotencyKey() != null);
    }

    /** The policy's own sampling (no Caller): see {@link PolicyMetrics#dueForTiming}. */
    private boolean sampled(int cell) {
        return samplingBits > 0 && metrics.dueForTiming(cell, samplingBits);
    }

    /** The same, for a call on the slow path. */
    boolean sampled() {
        return sampled(metrics.firstTryCell());
    }

    /** A {@link ResiliencePolicy.Caller}'s sampling: about 1 call in n by its own plain counter ({@link StripedCounter#oneIn}). */
    boolean sampledEvery(int clock) {
        return samplingBits > 0 && StripedCounter.oneIn(clock, samplingBits);
    }

    boolean timeEveryCall() {
        return timeEveryCall;
    }

    // ------------------------------------------------------------------------------ asynchronous

    /** Each attempt runs the blocking {@code action} on {@code executor}. */
    <T> CompletableFuture<T> callAsync(CallContext context, CheckedSupplier<T> action, Executor executor,
                                        ResiliencePolicy.Caller site) {
        Map<String, String> mdc = context.attributes();
        return new Execution<T>(this, context, site).runAsync(() -> CompletableFuture.supplyAsync(() -> {
            MdcScope scope = mdc.isEmpty() ? null : MdcScope.push(mdc);   // the action runs on the executor's thread
            try {
                return action.get();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            } finally {
                if (scope != null) {
                    scope.close();
                }
            }
        }, executor), executor);
    }

    /** Each attempt calls {@code action} and waits for its stage without holding a thread. */
    <T> CompletableFuture<T> callStage(CallContext context, CheckedSupplier<? extends CompletionStage<T>> action,
                                        Executor executor, ResiliencePolicy.Caller site) {
        return new Execution<T>(this, context, site).runAsync(action, executor);
    }

    /** Waits {@code nanos} on the ticker's time without holding a thread (virtual time advances at once). */
    void schedule(long nanos, Executor executor, Runnable next) throws InterruptedException {
        if (nanos <= 0) {
            executor.execute(next);
        } else if (ticker == Ticker.system()) {
            CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, executor).execute(next);
        } else {
            ticker.sleepNanos(nanos); // virtual time: advances the test clock
            executor.execute(next);
        }
    }

    // ------------------------------------------------------------------------------------ events

    /** Publishes to the policy's listeners and the call site's; builds the event only if someone listens. */
    void publish(ResiliencePolicy.Caller site, EventType type, int attempt, Duration delay, String detail,
                 Throwable failure) {
        boolean policyListens = events.hasListeners();
        boolean siteListens = site != null && site.listener != null;
        if (!policyListens && !siteListens) {
            return;
        }
        ResilienceEvent e = new ResilienceEvent(type, name, ticker.epochMillis(), attempt, delay, detail, failure);
        if (policyListens) {
            events.publish(e);
        }
        if (siteListens) {
            site.deliver(e);
        }
    }

    SplittableRandom splitSeeded() {
        if (seeded == null) {
            return null;
        }
        synchronized (seeded) {
            return seeded.split();
        }
    }
}
