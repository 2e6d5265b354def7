package io.resiliencekit.policy;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.classify.Classification;
import io.resiliencekit.config.Secrets;
import io.resiliencekit.event.EventType;
import io.resiliencekit.logging.MdcScope;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.IdempotencyGuard;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call that left the fast path: every decision of the engine (claim, stages, outcome,
 * classification, retry, give-up, counting, events) is a method here, driven step by step by
 * {@link #runSync} or {@link #runAsync}. {@link #advance()} runs decisions until the call must wait,
 * run its action, or has ended.
 *
 * <p>Counting: a call is counted once it reaches its first attempt (a replay of a completed key is
 * not a call) and then ends exactly once, as a success or a failure, so
 * {@code calls == succeeded + failed} whenever no call is in flight.
 */
final class Execution<T> {

    private static final Logger LOG = LoggerFactory.getLogger(ResiliencePolicy.class);

    static final int WAIT = 1;
    static final int INVOKE = 2;
    static final int DONE = 3;

    private static final int S_CLAIM = 0;
    private static final int S_PRECHECK = 1;
    private static final int S_ENTER = 2;
    private static final int S_INVOKED = 3;
    private static final int S_DECIDE = 4;
    private static final int S_DONE = 5;

    final CallEngine e;
    final CallContext context;
    final ResiliencePolicy.Caller site;

    int attempts;
    private int retries;
    private long previousDelay;
    private long callStartNanos;
    Throwable lastFailure;
    private Object lastResult;
    private boolean permanentFailure; // the failure is ours (a result check threw): never retried
    // rate-limit stage state across waits
    long permitWaitNanos;
    boolean permitReserved;
    private RandomGenerator seeded;
    private IdempotencyGuard.Claim claim;
    private boolean claimed;
    private boolean started;
    private int state;
    private int entered;
    private long waitNanos;
    private T value;
    private Throwable error;

    Execution(CallEngine engine, CallContext context, ResiliencePolicy.Caller site) {
        this.e = engine;
        this.context = context;
        this.site = site;
        this.state = engine.guard != null && context.idempotencyKey() != null ? S_CLAIM : S_PRECHECK;
    }

    /** Continues a call whose first attempt ran on the fast path and failed. */
    Execution<T> afterFirstAttempt(Throwable failure, Object failedResult, boolean resultCheckFailed, long durationNanos,
                                   long firstStartNanos) {
        start(firstStartNanos);
        attempts = 1;
        entered = e.stages.length; // the fast path passed every stage
        permanentFailure = resultCheckFailed;
        onFailedAttempt(failure, failedResult, durationNanos);
        return this;
    }

    /** An {@link Error} from a fast-path attempt: counted, never retried, nothing to give back (CLOSED holds no permit). */
    static void firstAttemptError(CallEngine engine) {
        engine.metrics.recordSlowCall();
        engine.metrics.recordGiveUp();
        engine.metrics.recordSlowAttempts(1);
    }

    private void start(long nanos) {
        if (!started) {
            started = true;
            callStartNanos = nanos;
            e.metrics.recordSlowCall();
        }
    }

    // -------------------------------------------------------------------------------- decisions

    /** Runs decisions until the call must {@link #WAIT} ({@link #waitNanos}), {@link #INVOKE} its action, or is {@link #DONE}. */
    int advance() {
        for (;;) {
            switch (state) {
                case S_CLAIM:
                    if (claimStep()) {
                        return WAIT;
                    }
                    break;
                case S_PRECHECK:
                    start(e.ticker.nanoTime());
                    try {
                        for (AttemptStage s : e.stages) {
                            s.refuseEarly(this);
                        }
                    } catch (RuntimeException refused) {
                        finish(refused);
                        break;
                    }
                    entered = 0;
                    state = S_ENTER;
                    break;
                case S_ENTER:
                    if (enterStep()) {
                        return WAIT;
                    }
                    if (state == S_ENTER && claimed && !stillHeld()) {
                        break;
                    }
                    if (state == S_ENTER) {
                        state = S_INVOKED;
                        attempts++;
                        return INVOKE;
                    }
                    break;
                case S_DECIDE:
                    try {
                        waitNanos = decide();
                    } catch (RuntimeException giveUp) {
                        finish(giveUp);
                        break;
                    }
                    state = S_PRECHECK;
                    return WAIT;
                case S_DONE:
                    return DONE;
                default:
                    throw new IllegalStateException("advance() while an attempt runs");
            }
        }
    }

    /** Returns true to wait {@link #waitNanos} before trying the store again. */
    private boolean claimStep() {
        try {
            if (claim == null) {
                claim = e.guard.open(e.name, context);
            }
            long r = claim.tryClaim();
            if (r == IdempotencyGuard.Claim.CLAIMED) {
                claimed = true;
                state = S_PRECHECK;
                return false;
            }
            if (r == IdempotencyGuard.Claim.DONE) {
                replay();
                return false;
            }
            waitNanos = r;
            return true;
        } catch (RuntimeException ex) {
            endBeforeStart(ex);
        } catch (Exception ex) {
            // the guard's own store failed (e.g. SQLException): reported as a failed call, not retried here
            endBeforeStart(new CallFailedException(e.name, 0, classify(ex).kind(), "idempotency store", ex, summary(ex)));
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private void replay() {
        try {
            value = (T) claim.replay();
            state = S_DONE;
        } catch (RuntimeException | Error ex) {
            endBeforeStart(ex);
        } catch (Exception ex) {
            // a cached checked failure: thrown as the call's failure, as the first run's was
            endBeforeStart(new CallFailedException(e.name, 0, classify(ex).kind(), "cached failure", ex, summary(ex)));
        }
    }

    private void endBeforeStart(Throwable ex) {
        error = ex;
        state = S_DONE;
    }

    /** Enters the stages from {@link #entered} on; true to wait {@link #waitNanos} and enter again. */
    private boolean enterStep() {
        AttemptStage[] stages = e.stages;
        while (entered < stages.length) {
            long r;
            try {
                r = stages[entered].enter(this);
            } catch (RuntimeException refused) {
                abandonEntered();
                finish(refused);
                return false;
            }
            if (r > 0) {
                waitNanos = r;
                return true;
            }
            entered++;
        }
        return false;
    }

    /** Before an attempt: false (the call ended) if the key's hold was taken over while this JVM was paused. */
    private boolean stillHeld() {
        try {
            claim.checkHeld();
            return true;
        } catch (RuntimeException lost) {
            abandonEntered();
            claimed = false; // nothing of ours left to complete or release
            finish(lost);
            return false;
        }
    }

    private void abandonEntered() {
        for (int i = entered - 1; i >= 0; i--) {
            e.stages[i].abandon(this);
        }
        entered = 0;
    }

    /** The action returned {@code result} after {@code durationNanos} (-1 if not timed). */
    void onValue(T result, long durationNanos) {
        boolean failed;
        try {
            failed = e.checkResults && e.classifier.isFailureResult(result);
        } catch (RuntimeException checkFailed) {
            // a failureIfResult predicate threw: a bug of ours that no retry fixes, recorded as a failed attempt
            permanentFailure = true;
            onFailedAttempt(checkFailed, null, durationNanos);
            return;
        }
        if (failed) {
            onFailedAttempt(null, result, durationNanos);
            return;
        }
        AttemptStage[] stages = e.stages;
        for (int i = entered - 1; i >= 0; i--) {
            stages[i].onSuccess(this, durationNanos);
        }
        entered = 0;
        value = result;
        e.metrics.recordSlowSuccess();
        e.metrics.recordSlowAttempts(attempts);
        e.metrics.recordLatency(e.ticker.nanoTime() - callStartNanos);
        if (claimed) {
            completeClaim(result);
        }
        state = S_DONE;
    }

    /** The action threw {@code failure} after {@code durationNanos} (-1 if not timed). */
    void onFailure(Throwable failure, long durationNanos) {
        if (failure instanceof Error) {
            onError((Error) failure);
            return;
        }
        onFailedAttempt(failure, null, durationNanos);
    }

    /** An {@link Error}: every stage gets back what it gave, the key is released, and the call ends (never retried). */
    void onError(Error err) {
        abandonEntered();
        finish(err);
    }

    private void onFailedAttempt(Throwable failure, Object failedResult, long durationNanos) {
        AttemptStage[] stages = e.stages;
        for (int i = entered - 1; i >= 0; i--) {
            stages[i].onFailure(this, durationNanos, failure);
        }
        entered = 0;
        lastFailure = failure;
        lastResult = failedResult;
        state = S_DECIDE;
    }

    /** The delay before the next attempt, or throws the exception that ends the call. */
    private long decide() {
        Throwable failure = lastFailure;
        if (failure instanceof InterruptedException) {
            // the action was interrupted (a task kill): stop, and keep the thread's interrupt status
            Thread.currentThread().interrupt();
            throw giveUp(FailureKind.PERMANENT, "interrupted");
        }
        if (permanentFailure) {
            throw giveUp(FailureKind.PERMANENT, "result check failed");
        }
        Classification c = failure == null ? Classification.transientFailure() : classify(failure);
        Duration hint = c.retryAfter();
        if (c.kind() == FailureKind.THROTTLED) {
            e.metrics.recordThrottled();
            if (e.limit != null) {
                // a throttle without a hint still tells a leased limiter's authority to slow down
                e.limit.limiter.onThrottled(hint == null ? Duration.ZERO : capped(hint));
            }
            e.publish(site, EventType.THROTTLED, attempts, hint, "", failure);
        }
        if (!c.isRetryable()) {
            throw giveUp(c.kind(), "permanent");
        }
        if (e.retry == null) {
            throw giveUp(c.kind(), "max attempts");
        }
        if (e.retry.isAbort(failure)) {
            throw giveUp(c.kind(), "aborted");
        }
        if (attempts >= e.retry.maxAttempts()) {
            throw giveUp(c.kind(), "max attempts");
        }
        if (e.budget != null) {
            if (site != null) {
                site.flush(); // the budget deposits per call: let it see this call site's calls
            }
            if (!e.budget.tryWithdraw()) {
                e.metrics.recordBudgetRejection();
                e.publish(site, EventType.RETRY_BUDGET_EXHAUSTED, attempts, Duration.ZERO, "", failure);
                throw giveUp(c.kind(), "retry budget");
            }
        }
        long delay = e.retry.backoff().delayNanos(retries + 1, previousDelay, random());
        if (hint != null) {
            delay = capped(hint).toNanos(); // the server knows best, within our cap
        }
        if (e.maxDurationNanos != Long.MAX_VALUE
            && e.ticker.nanoTime() + delay - callStartNanos > e.maxDurationNanos) {
            throw giveUp(c.kind(), "deadline");
        }
        previousDelay = delay;
        retries++;
        e.metrics.recordRetry();
        e.publish(site, EventType.RETRY, attempts, Duration.ofNanos(delay), c.kind().name(), failure);
        if (LOG.isDebugEnabled()) {
            LOG.debug("policy '{}': attempt {} failed ({}), retrying in {} ms", e.name, attempts, c,
                TimeUnit.NANOSECONDS.toMillis(delay));
        }
        return delay;
    }

    /** A server hint, capped by retryAfterCap wherever it acts (the retry delay and the limiter's pause). */
    private Duration capped(Duration hint) {
        // without retry settings the default cap still applies: an uncapped hint would pause the JVM's limiter
        Duration cap = e.retry == null ? RetryConfig.DEFAULT_RETRY_AFTER_CAP : e.retry.retryAfterCap();
        return hint.compareTo(cap) > 0 ? cap : hint;
    }

    private Classification classify(Throwable failure) {
        try {
            return e.classifier.classify(failure, e.ticker.epochMillis());
        } catch (RuntimeException ruleFailed) {
            return Classification.permanent(); // a classifier rule that throws is a bug no retry fixes
        }
    }

    private RandomGenerator random() {
        if (seeded == null) {
            seeded = e.splitSeeded();
            if (seeded == null) {
                return ThreadLocalRandom.current(); // per use: an async call moves between threads
            }
        }
        return seeded;
    }

    private CallFailedException giveUp(FailureKind kind, String reason) {
        Throwable failure = lastFailure;
        e.publish(site, EventType.GIVE_UP, attempts, Duration.ZERO, reason, failure);
        e.giveUps.gaveUp(LOG, e.name, attempts, reason,
            failure == null ? "result classified as failure" : failure.getClass().getName());
        return new CallFailedException(e.name, attempts, kind, reason, failure, summary(failure));
    }

    /** The call ends with {@code ex} (counted as failed); the key is released or the failure cached. */
    private void finish(Throwable ex) {
        error = ex;
        state = S_DONE;
        e.metrics.recordGiveUp();
        e.metrics.recordSlowAttempts(attempts);
        e.metrics.recordLatency(e.ticker.nanoTime() - callStartNanos);
        if (claimed) {
            failClaim(ex);
        }
    }

    /** A wait was interrupted: the call ends at once and the thread keeps its interrupt status. */
    void interrupted(InterruptedException ie) {
        Thread.currentThread().interrupt();
        if (state == S_CLAIM) {
            endBeforeStart(new CallFailedException(e.name, 0, FailureKind.PERMANENT, "interrupted", ie, summary(ie)));
            return;
        }
        abandonEntered();
        if (lastFailure == null) {
            lastFailure = ie;
        }
        finish(giveUp(FailureKind.PERMANENT, "interrupted"));
    }

    private void completeClaim(Object result) {
        try {
            claim.complete(result); // the guard records it later if the store is down, and logs a refusal (fenced out)
        } catch (RuntimeException unexpected) {
            // the effect happened: keep the result, whatever the guard's trouble
            LOG.warn("policy '{}': the action succeeded but its idempotency key could not be completed ({})", e.name,
                unexpected.getClass().getName());
        }
    }

    private void failClaim(Throwable failure) {
        try {
            claim.fail(failure);
        } catch (RuntimeException storeFailed) {
            failure.addSuppressed(storeFailed);
        }
    }

    long waitNanos() {
        return waitNanos;
    }

    /** The call's result, or its failure thrown. */
    T result() {
        Throwable t = error;
        if (t == null) {
            return value;
        }
        if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        throw new CallFailedException(e.name, attempts, FailureKind.PERMANENT, "failed", t, summary(t));
    }

    Throwable error() {
        return error;
    }

    static String summary(Throwable t) {
        if (t == null) {
            return "no exception (result classified as failure)";
        }
        // third-party messages sometimes carry credentials: scrub before they reach logs and dead letters
        return t.getClass().getName() + (t.getMessage() == null ? "" : ": " + Secrets.scrub(t.getMessage()));
    }

    // ---------------------------------------------------------------------------------- drivers

    /** Synchronous driver: waits by sleeping on the ticker. */
    T runSync(CheckedSupplier<T> action) {
        MdcScope mdc = context.attributes().isEmpty() ? null : MdcScope.push(context.attributes());
        try {
            for (;;) {
                int step = advance();
                if (step == DONE) {
                    return result();
                }
                if (step == WAIT) {
                    try {
                        e.ticker.sleepNanos(waitNanos);
                    } catch (InterruptedException ie) {
                        interrupted(ie);
                    }
                    continue;
                }
                boolean timed = e.timeEveryCall() || (site == null ? e.sampled() : site.sampled()) || attempts > 1;
                long begin = timed ? e.ticker.nanoTime() : 0L;
                T r;
                try {
                    r = action.get();
                } catch (Exception ex) {
                    onFailure(ex, timed ? e.ticker.nanoTime() - begin : -1L);
                    continue;
                } catch (Error err) {
                    onError(err);
                    continue;
                }
                onValue(r, timed ? e.ticker.nanoTime() - begin : -1L);
            }
        } finally {
            if (mdc != null) {
                mdc.close();
            }
        }
    }

    /**
     * Asynchronous driver: waits by scheduling the next step, runs each attempt's stage and continues
     * on {@code executor} when it completes. A call with a key to claim starts on {@code executor} too
     * (the claim is a store round trip); others make their first decisions on the caller's thread.
     */
    CompletableFuture<T> runAsync(CheckedSupplier<? extends CompletionStage<T>> action, Executor executor) {
        Async<T> a = new Async<>(this, action, executor);
        if (state == S_CLAIM) {
            executor.execute(a);
        } else {
            a.run();
        }
        return a.result;
    }

    /** The asynchronous driver's state: kept apart so the synchronous path allocates only the execution. */
    private static final class Async<T> implements Runnable {
        final Execution<T> x;
        final CheckedSupplier<? extends CompletionStage<T>> action;
        final Executor executor;
        final CompletableFuture<T> result = new CompletableFuture<>();

        Async(Execution<T> x, CheckedSupplier<? extends CompletionStage<T>> action, Executor executor) {
            this.x = x;
            this.action = action;
            this.executor = executor;
        }

        @Override
        public void run() {
            MdcScope mdc = x.context.attributes().isEmpty() ? null : MdcScope.push(x.context.attributes());
            try {
                pump();
            } catch (Throwable unexpected) {
                result.completeExceptionally(unexpected);
            } finally {
                if (mdc != null) {
                    mdc.close();
                }
            }
        }

        private void pump() {
            for (;;) {
                if (result.isDone() && x.state != S_DONE) {
                    // cancelled by the caller: stop here, and free a claimed key
                    x.abandonEntered();
                    x.finish(new CancellationException("cancelled"));
                    return;
                }
                int step = x.advance();
                if (step == DONE) {
                    Throwable t = x.error();
                    if (t == null) {
                        result.complete(x.value);
                    } else {
                        result.completeExceptionally(t);
                    }
                    return;
                }
                if (step == WAIT) {
                    try {
                        x.e.schedule(x.waitNanos, executor, this);
                        return;
                    } catch (InterruptedException ie) {
                        x.interrupted(ie);
                        continue;
                    }
                }
                // an async attempt is always timed: it is not the hot path
                long begin = x.e.ticker.nanoTime();
                CompletionStage<T> stage;
                try {
                    stage = action.get();   // under the call's MDC (run() pushed it)
                } catch (Exception ex) {
                    stage = CompletableFuture.failedFuture(ex);
                } catch (Error err) {
                    x.onError(err);
                    continue;
                }
                stage.whenCompleteAsync((v, f) -> {
                    long d = x.e.ticker.nanoTime() - begin;
                    if (f == null) {
                        x.onValue(v, d);
                    } else {
                        x.onFailure(unwrap(f), d);
                    }
                    run();
                }, executor);
                return;
            }
        }

        private static Throwable unwrap(Throwable t) {
            return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        }
    }

    @Override
    public String toString() {
        return "Execution{" + e.name + ", attempts=" + attempts + ", state=" + state + '}';
    }
}
