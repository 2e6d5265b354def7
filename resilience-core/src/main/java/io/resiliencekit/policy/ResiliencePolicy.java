package io.resiliencekit.policy;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CheckedRunnable;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.RateLimitedException;

import dev.failsafe.Execution;
import dev.failsafe.RetryPolicy;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.classify.Classification;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.idempotency.IdempotencyGuard;
import io.resiliencekit.logging.MdcScope;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.metrics.PolicyMetrics;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.ratelimit.RateLimiter;
import io.resiliencekit.retry.RetryBudget;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thing users call: an action wrapped in retry with jittered backoff, a circuit breaker, a
 * rate limiter and an idempotency guard, each optional.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders-api")
 *     .retry(RetryConfig.builder().maxAttempts(5).build())
 *     .circuitBreaker(CircuitBreakerConfig.builder("orders-api").build())
 *     .build();
 *
 * Receipt r = policy.call(() -> api.send(order));                        // retried, guarded
 * policy.call(CallContext.ofKey("orders/2026-11-21/" + order.id()), () -> api.send(order)); // at most once per key
 * CompletableFuture<Receipt> f = policy.callAsync(() -> api.send(order));
 * }</pre>
 *
 * <h2>How a call flows</h2>
 * Idempotency claim (if a key and a guard are present) around everything; then per attempt:
 * breaker permission, rate-limit permit, the action, the outcome recorded in the breaker. A call
 * that succeeds at once takes a fast path that reads no clock (unless sampled for latency or the
 * breaker times calls), allocates nothing and takes no lock. After a failure the call moves to the
 * slow path: the {@link FailureClassifier} stops permanent failures at once, Failsafe's
 * {@link RetryPolicy} decides whether another attempt is allowed (attempts, abort conditions), and
 * this class adds what Failsafe does not have: jitter modes, server hints, the retry budget, and
 * waiting on the injected {@link Ticker}.
 *
 * <p>Failures surface as {@link ResilienceException}s: {@link CallFailedException} (gave up; the cause
 * is the last failure), {@link CircuitOpenException}, {@link RateLimitedException}. Thread-safe; one
 * instance per JVM and name is the intended use (see {@link PolicyRegistry}).
 */
public final class ResiliencePolicy {

    private static final Logger LOG = LoggerFactory.getLogger(ResiliencePolicy.class);

    private final ResiliencePolicyConfig config;
    private final String name;
    private final Ticker ticker;
    private final PolicyMetrics metrics = new PolicyMetrics();
    private final EventPublisher events = new EventPublisher();
    private final FailureClassifier classifier;
    private final boolean checkResults;
    private final RetryConfig retry;
    private final RetryPolicy<Object> retryDecider;
    private final RetryBudget budget;
    private final SplittableRandom seededRandom;
    private final CircuitBreaker breaker;
    private final RateLimiter limiter;
    private final Duration rateLimitMaxWait;
    private final IdempotencyGuard guard;
    private final boolean timeEveryCall;
    private final int samplingMask;

    ResiliencePolicy(ResiliencePolicyConfig config, Ticker ticker) {
        this.config = config;
        this.name = config.name;
        this.ticker = ticker;
        this.classifier = config.classifier;
        this.checkResults = !classifier.ignoresResults();
        this.retry = config.retry;
        this.retryDecider = retry == null ? null : failsafeRetryPolicy(retry);
        this.budget = retry != null && retry.budgetEnabled()
            ? new RetryBudget(retry.budgetRatio(), retry.budgetReserve(), metrics::calls) : null;
        this.seededRandom = retry == null ? null : retry.seed().map(SplittableRandom::new).orElse(null);
        this.breaker = config.circuitBreaker == null ? null : CircuitBreaker.of(config.circuitBreaker, ticker);
        if (breaker != null) {
            // Transitions come from the breaker. Rejections are published by the policy itself, with
            // the attempt count and last failure, so the breaker's own would reach listeners twice.
            breaker.events().register(e -> {
                if (e.type() != EventType.BREAKER_REJECTED && events.hasListeners()) {
                    events.publish(e);
                }
            });
        }
        this.limiter = config.rateLimiter == null ? null : config.rateLimiter.create(ticker);
        this.rateLimitMaxWait = config.rateLimitMaxWait;
        this.guard = config.idempotency == null ? null : config.idempotency.create(ticker, guardEvents());
        this.timeEveryCall = config.latencySampling == 1 || (breaker != null && breaker.needsTiming());
        int sampling = Integer.highestOneBit(Math.max(0, config.latencySampling));
        this.samplingMask = sampling == 0 ? -1 : sampling - 1;
    }

    // The guard's events are rare (duplicates): count them, and pass them on only if someone listens.
    private EventPublisher guardEvents() {
        return new EventPublisher().register(e -> {
            if (e.type() == EventType.DUPLICATE_SKIPPED) {
                metrics.recordDuplicateSkipped();
            }
            if (events.hasListeners()) {
                events.publish(e);
            }
        });
    }

    // Failsafe decides "may we try again": attempts left, abort conditions. Only outcomes already
    // classified as retryable failures are recorded into it (see decide), so it handles all of them;
    // classifying again here would repeat the work and read another clock. Delays are ours (jitter
    // modes and server hints Failsafe lacks), so its own delay stays zero.
    private static RetryPolicy<Object> failsafeRetryPolicy(RetryConfig retry) {
        return RetryPolicy.builder()
            .handleIf((result, failure) -> true)
            .abortIf((result, failure) -> retry.isAbort(failure))
            .withMaxAttempts(retry.maxAttempts())
            .build();
    }

    public static ResiliencePolicyBuilder builder(String name) {
        return new ResiliencePolicyBuilder(name);
    }

    /** A new runtime for {@code config} on the real clock; prefer {@link PolicyRegistry#policy}. */
    public static ResiliencePolicy create(ResiliencePolicyConfig config) {
        return new ResiliencePolicy(config, Ticker.system());
    }

    public static ResiliencePolicy create(ResiliencePolicyConfig config, Ticker ticker) {
        return new ResiliencePolicy(config, ticker);
    }

    public String name() {
        return name;
    }

    public ResiliencePolicyConfig config() {
        return config;
    }

    public PolicyMetrics metrics() {
        return metrics;
    }

    /** Listeners for this policy's events, its breaker's included. */
    public EventPublisher events() {
        return events;
    }

    public Optional<CircuitBreaker> circuitBreaker() {
        return Optional.ofNullable(breaker);
    }

    public Optional<RateLimiter> rateLimiter() {
        return Optional.ofNullable(limiter);
    }

    // ---------------------------------------------------------------- synchronous

    public <T> T call(CheckedSupplier<T> action) {
        return callUnguarded(action, null);
    }

    /** Runs {@code action} under the policy; with an idempotency key and a guard, at most once per key. */
    public <T> T call(CallContext context, CheckedSupplier<T> action) {
        return callInContext(context, action, null);
    }

    private <T> T callInContext(CallContext context, CheckedSupplier<T> action, Caller caller) {
        if (context.attributes().isEmpty()) {
            return callKeyed(context, action, caller);
        }
        try (MdcScope ignored = MdcScope.push(context.attributes())) {
            return callKeyed(context, action, caller);
        }
    }

    public void run(CheckedRunnable action) {
        call(() -> {
            action.run();
            return null;
        });
    }

    public void run(CallContext context, CheckedRunnable action) {
        call(context, () -> {
            action.run();
            return null;
        });
    }

    private <T> T callKeyed(CallContext context, CheckedSupplier<T> action, Caller caller) {
        if (guard == null || context.idempotencyKey() == null) {
            return callUnguarded(action, caller);
        }
        try {
            return guard.execute(name, context, () -> callUnguarded(action, caller));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // the guard's own store failed (e.g. SQLException): not retried here, reported as a failed call
            throw new CallFailedException(name, 0, classifier.classify(e, ticker.epochMillis()).kind(),
                "idempotency store", e);
        }
    }

    private <T> T callUnguarded(CheckedSupplier<T> action, Caller caller) {
        CircuitBreaker b = breaker;
        if (b != null && !b.tryAcquirePermission()) {
            metrics.recordSlowCall();
            throw rejected(0, null);
        }
        if (limiter != null && !limiter.tryAcquire(1)) {
            awaitPermit(0, null);
        }
        boolean timed = timeEveryCall || (caller == null ? sampled() : caller.sampled());
        long start = timed ? ticker.nanoTime() : 0L;
        T result;
        try {
            result = action.get();
        } catch (Exception e) {
            return slowPath(action, e, null, timed ? ticker.nanoTime() - start : -1L, start, timed);
        } catch (Error e) {
            if (b != null) {
                b.releasePermission();
            }
            throw e;
        }
        if (checkResults && classifier.isFailureResult(result)) {
            return slowPath(action, null, result, timed ? ticker.nanoTime() - start : -1L, start, timed);
        }
        if (timed) {
            long d = ticker.nanoTime() - start;
            metrics.recordLatency(d);
            if (b != null) {
                b.onSuccess(d);
            }
        } else if (b != null) {
            b.onSuccess(-1L);
        }
        if (caller == null) {
            metrics.recordFirstTrySuccess();
        } else {
            caller.countFirstTrySuccess();
        }
        return result;
    }

    private boolean sampled() {
        return samplingMask >= 0 && (ThreadLocalRandom.current().nextInt() & samplingMask) == 0;
    }

    /** After a failed first attempt: retries until success or a reason to stop. */
    private <T> T slowPath(CheckedSupplier<T> action, Throwable failure, Object failedResult,
                           long firstDuration, long firstStart, boolean timed) {
        metrics.recordSlowCall();
        Attempts st = new Attempts(timed ? firstStart : ticker.nanoTime() - Math.max(0, firstDuration));
        st.attempts = 1;
        recordFailure(firstDuration, failure);
        Throwable lastFailure = failure;
        Object lastResult = failedResult;
        while (true) {
            long delay = decide(st, lastFailure, lastResult); // throws when giving up
            try {
                ticker.sleepNanos(delay);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw giveUp(st, lastFailure, FailureKind.PERMANENT, "interrupted");
            }
            if (breaker != null && !breaker.tryAcquirePermission()) {
                throw rejected(st.attempts, lastFailure);
            }
            if (limiter != null && !limiter.tryAcquire(1)) {
                awaitPermit(st.attempts, lastFailure);
            }
            long start = ticker.nanoTime();
            st.attempts++;
            try {
                T result = action.get();
                long d = ticker.nanoTime() - start;
                if (checkResults && classifier.isFailureResult(result)) {
                    recordFailure(d, null);
                    lastFailure = null;
                    lastResult = result;
                    continue;
                }
                if (breaker != null) {
                    breaker.onSuccess(d);
                }
                metrics.recordLatency(d);
                metrics.recordSlowSuccess();
                metrics.recordSlowAttempts(st.attempts);
                return result;
            } catch (Exception e) {
                recordFailure(ticker.nanoTime() - start, e);
                lastFailure = e;
                lastResult = null;
            } catch (Error e) {
                if (breaker != null) {
                    breaker.releasePermission();
                }
                metrics.recordSlowAttempts(st.attempts);
                throw e;
            }
        }
    }

    /** Per-call state of the slow path. */
    private final class Attempts {
        final long startNanos;
        final Execution<Object> execution;
        RandomGenerator random;
        int attempts;
        int retries;
        long previousDelay;

        Attempts(long startNanos) {
            this.startNanos = startNanos;
            this.execution = retryDecider == null ? null : Execution.of(retryDecider);
        }

        RandomGenerator random() {
            if (random == null) {
                if (seededRandom != null) {
                    synchronized (seededRandom) {
                        random = seededRandom.split();
                    }
                } else {
                    random = new SplittableRandom(ThreadLocalRandom.current().nextLong());
                }
            }
            return random;
        }
    }

    /**
     * Decides what follows a failed attempt: returns the delay before the next attempt, or throws
     * the exception that ends the call.
     */
    private long decide(Attempts st, Throwable failure, Object failedResult) {
        Classification c = failure == null ? Classification.transientFailure()
            : classifier.classify(failure, ticker.epochMillis());
        if (c.kind() == FailureKind.THROTTLED) {
            metrics.recordThrottled();
            if (limiter != null && c.retryAfter() != null) {
                limiter.onThrottled(c.retryAfter());
            }
            if (events.hasListeners()) {
                events.publish(new ResilienceEvent(EventType.THROTTLED, name, ticker.epochMillis(), st.attempts,
                    c.retryAfter(), "", failure));
            }
        }
        if (!c.isRetryable()) {
            throw giveUp(st, failure, c.kind(), "permanent");
        }
        if (retry == null) {
            throw giveUp(st, failure, c.kind(), "max attempts");
        }
        if (failure != null) {
            st.execution.recordException(failure);
        } else {
            st.execution.recordResult(failedResult);
        }
        if (st.execution.isComplete()) {
            throw giveUp(st, failure, c.kind(), retry.isAbort(failure) ? "aborted" : "max attempts");
        }
        if (budget != null && !budget.tryWithdraw()) {
            metrics.recordBudgetRejection();
            if (events.hasListeners()) {
                events.publish(new ResilienceEvent(EventType.RETRY_BUDGET_EXHAUSTED, name, ticker.epochMillis(),
                    st.attempts, Duration.ZERO, "", failure));
            }
            throw giveUp(st, failure, c.kind(), "retry budget");
        }
        long delay = retry.backoff().delayNanos(st.retries + 1, st.previousDelay, st.random());
        if (c.retryAfter() != null) {
            // the server knows best, within our cap
            delay = Math.min(c.retryAfter().toNanos(), retry.retryAfterCap().toNanos());
        }
        if (retry.maxDuration().isPresent()
            && ticker.nanoTime() + delay - st.startNanos > retry.maxDuration().get().toNanos()) {
            throw giveUp(st, failure, c.kind(), "deadline");
        }
        st.previousDelay = delay;
        st.retries++;
        metrics.recordRetry();
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.RETRY, name, ticker.epochMillis(), st.attempts,
                Duration.ofNanos(delay), c.kind().name(), failure));
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("policy '{}': attempt {} failed ({}), retrying in {} ms", name, st.attempts, c,
                TimeUnit.NANOSECONDS.toMillis(delay));
        }
        return delay;
    }

    private void recordFailure(long durationNanos, Throwable failure) {
        if (breaker != null) {
            breaker.onFailure(durationNanos, failure);
        }
    }

    private CallFailedException giveUp(Attempts st, Throwable failure, FailureKind kind, String reason) {
        metrics.recordGiveUp();
        metrics.recordSlowAttempts(st.attempts);
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.GIVE_UP, name, ticker.epochMillis(), st.attempts,
                Duration.ZERO, reason, failure));
        }
        LOG.warn("policy '{}' gave up after {} attempt(s) ({}): {}", name, st.attempts, reason,
            failure == null ? "result classified as failure" : failure.getClass().getName());
        return new CallFailedException(name, st.attempts, kind, reason, failure);
    }

    private CircuitOpenException rejected(int attempts, Throwable lastFailure) {
        metrics.recordBreakerRejection();
        metrics.recordGiveUp();
        metrics.recordSlowAttempts(attempts);
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.BREAKER_REJECTED, name, ticker.epochMillis(), attempts,
                breaker.remainingOpenTime(), breaker.state().name(), lastFailure));
        }
        return new CircuitOpenException(name, breaker.name(), attempts, breaker.remainingOpenTime(), lastFailure);
    }

    private void awaitPermit(int attempts, Throwable lastFailure) {
        long waited;
        try {
            waited = limiter.acquire(1, rateLimitMaxWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (breaker != null) {
                breaker.releasePermission();
            }
            throw new CallFailedException(name, attempts, FailureKind.PERMANENT, "interrupted", e);
        }
        if (waited < 0) {
            if (breaker != null) {
                breaker.releasePermission();
            }
            metrics.recordGiveUp();
            throw new RateLimitedException(name, limiter.name(), rateLimitMaxWait, attempts);
        }
        metrics.recordThrottleWait(waited);
        if (waited > 0 && events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.THROTTLE_WAIT, name, ticker.epochMillis(), attempts + 1,
                Duration.ofNanos(waited), limiter.name(), lastFailure));
        }
    }

    // ---------------------------------------------------------------- one thread, many calls

    /**
     * A call site for one thread that makes many calls in a row, such as a Spark partition. It
     * behaves exactly like the policy, but counts first-try successes in plain fields and adds them
     * to {@link #metrics()} every 1024 calls and on {@link Caller#flush()} or {@link Caller#close()},
     * so the success path makes no atomic write at all. Not thread-safe: one per thread.
     *
     * <pre>{@code
     * try (ResiliencePolicy.Caller caller = policy.caller()) {
     *     while (rows.hasNext()) {
     *         out.add(caller.call(() -> api.send(rows.next())));
     *     }
     * }
     * }</pre>
     */
    public Caller caller() {
        return new Caller();
    }

    /** See {@link #caller()}. */
    public final class Caller implements AutoCloseable {

        private static final int FLUSH_EVERY = 1024;

        private long firstTrySuccesses;
        private int sampleClock;

        private Caller() {
        }

        public <T> T call(CheckedSupplier<T> action) {
            return callUnguarded(action, this);
        }

        public <T> T call(CallContext context, CheckedSupplier<T> action) {
            return callInContext(context, action, this);
        }

        public ResiliencePolicy policy() {
            return ResiliencePolicy.this;
        }

        boolean sampled() {
            return samplingMask >= 0 && (++sampleClock & samplingMask) == 0;
        }

        void countFirstTrySuccess() {
            if (++firstTrySuccesses >= FLUSH_EVERY) {
                flush();
            }
        }

        /** Adds what this caller counted to the policy's metrics. */
        public void flush() {
            if (firstTrySuccesses != 0) {
                metrics.recordFirstTrySuccesses(firstTrySuccesses);
                firstTrySuccesses = 0;
            }
        }

        @Override
        public void close() {
            flush();
        }
    }

    // ---------------------------------------------------------------- asynchronous

    /** Runs the (blocking) action on the common pool under the policy. */
    public <T> CompletableFuture<T> callAsync(CheckedSupplier<T> action) {
        return callAsync(CallContext.NONE, action, ForkJoinPool.commonPool());
    }

    /**
     * Runs the (blocking) action on {@code executor} under the policy; backoff waits do not hold a
     * thread when the policy runs on the real clock.
     */
    public <T> CompletableFuture<T> callAsync(CallContext context, CheckedSupplier<T> action, Executor executor) {
        if (guard != null && context.idempotencyKey() != null) {
            // the claim, the attempts and the completion must stay together: run the whole call there
            return CompletableFuture.supplyAsync(() -> call(context, action), executor);
        }
        return callStage(context, () -> CompletableFuture.supplyAsync(() -> {
            try {
                return action.get();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, executor), executor);
    }

    /**
     * For actions that are asynchronous themselves (e.g. {@code HttpClient.sendAsync}): each attempt
     * calls {@code action} and waits for its stage without blocking a thread.
     */
    public <T> CompletableFuture<T> callStage(CallContext context, CheckedSupplier<? extends CompletionStage<T>> action,
                                              Executor executor) {
        CompletableFuture<T> result = new CompletableFuture<>();
        new AsyncCall<>(context, action, executor, result).attempt(null, null);
        return result;
    }

    /** One asynchronous call: the same decisions as the synchronous slow path, scheduled instead of slept. */
    private final class AsyncCall<T> {
        private final CheckedSupplier<? extends CompletionStage<T>> action;
        private final Executor executor;
        private final CompletableFuture<T> result;
        private final Attempts st = new Attempts(ticker.nanoTime());
        private boolean slow;

        AsyncCall(CallContext context, CheckedSupplier<? extends CompletionStage<T>> action, Executor executor,
                  CompletableFuture<T> result) {
            this.action = action;
            this.executor = executor;
            this.result = result;
        }

        void attempt(Throwable lastFailure, Object lastResult) {
            if (result.isDone()) {
                return; // cancelled by the caller
            }
            try {
                if (breaker != null && !breaker.tryAcquirePermission()) {
                    markSlow();
                    result.completeExceptionally(rejected(st.attempts, lastFailure));
                    return;
                }
                if (limiter != null && !limiter.tryAcquire(1)) {
                    awaitPermit(st.attempts, lastFailure);
                }
            } catch (RuntimeException e) {
                markSlow();
                result.completeExceptionally(e);
                return;
            }
            long start = ticker.nanoTime();
            st.attempts++;
            CompletionStage<T> stage;
            try {
                stage = action.get();
            } catch (Exception e) {
                stage = CompletableFuture.failedFuture(e);
            }
            stage.whenComplete((value, error) -> onOutcome(value, unwrap(error), ticker.nanoTime() - start));
        }

        private void onOutcome(T value, Throwable error, long duration) {
            boolean failedResult = error == null && checkResults && classifier.isFailureResult(value);
            if (error == null && !failedResult) {
                if (breaker != null) {
                    breaker.onSuccess(duration);
                }
                metrics.recordLatency(duration);
                if (slow) {
                    metrics.recordSlowSuccess();
                    metrics.recordSlowAttempts(st.attempts);
                } else {
                    metrics.recordFirstTrySuccess();
                }
                result.complete(value);
                return;
            }
            markSlow();
            recordFailure(duration, error);
            long delay;
            try {
                delay = decide(st, error, failedResult ? value : null);
            } catch (RuntimeException giveUp) {
                result.completeExceptionally(giveUp);
                return;
            }
            Throwable lastFailure = error;
            Object lastResult = failedResult ? value : null;
            Runnable next = () -> attempt(lastFailure, lastResult);
            if (ticker == Ticker.system()) {
                CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS, executor).execute(next);
            } else {
                try {
                    ticker.sleepNanos(delay); // virtual time: advances the test clock
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    result.completeExceptionally(giveUp(st, error, FailureKind.PERMANENT, "interrupted"));
                    return;
                }
                executor.execute(next);
            }
        }

        private void markSlow() {
            if (!slow) {
                slow = true;
                metrics.recordSlowCall();
            }
        }

        private Throwable unwrap(Throwable t) {
            return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        }
    }

    @Override
    public String toString() {
        return "ResiliencePolicy{" + name + ", breaker=" + (breaker == null ? "none" : breaker.state())
            + ", limiter=" + (limiter == null ? "none" : limiter.name()) + '}';
    }
}
