package io.resiliencekit.policy;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedRunnable;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.event.EventListener;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.metrics.PolicyMetrics;
import io.resiliencekit.retry.LocalRetryBudget;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.Cluster;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.spi.RetryBudget;
import io.resiliencekit.spi.Scope;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The one thing users call: an action wrapped in retry with jittered backoff, a circuit breaker, a
 * rate limiter and an idempotency guard, each optional.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResilienceRuntime.shared().policy(ResiliencePolicy.builder("orders-api")
 *     .retry(RetryConfig.builder().maxAttempts(5).build())
 *     .circuitBreaker(CircuitBreakerConfig.builder("orders-api").build())
 *     .config());
 *
 * Receipt r = policy.call(() -> api.send(order));                        // retried, guarded
 * policy.call(CallContext.ofKey("orders/2026-11-21/" + order.id()), () -> api.send(order)); // at most once per key
 * CompletableFuture<Receipt> f = policy.callStage(CallContext.NONE, () -> api.sendAsync(order), executor);
 * }</pre>
 *
 * <h2>How a call flows</h2>
 * Idempotency claim (if a key and a guard are present) around everything; then per attempt: an
 * open breaker refuses at once, then a rate-limit permit, then the breaker's permission, the
 * action, and its outcome recorded in the breaker. The synchronous ({@link #call}) and asynchronous
 * ({@link #callAsync}, {@link #callStage}) forms make every decision with the same code; see
 * {@code docs/architecture.md}. A call that succeeds at once reads no clock (unless sampled for
 * latency or the breaker times calls), allocates nothing and takes no lock.
 *
 * <p>Failures surface as {@link io.resiliencekit.ResilienceException}s:
 * {@link io.resiliencekit.CallFailedException} (gave up; the cause is the last failure),
 * {@link io.resiliencekit.CircuitOpenException}, {@link io.resiliencekit.RateLimitedException}.
 * An {@link Error} thrown by the action is never retried; it passes through after every stage got
 * back what it gave. Thread-safe; get policies from a {@link ResilienceRuntime}, which keeps one per
 * name, or build a standalone one with {@link ResiliencePolicyBuilder#build()}.
 */
public final class ResiliencePolicy {

    private final ResiliencePolicyConfig config;
    private final String name;
    private final ResilienceRuntime runtime;
    private final PolicyMetrics metrics = new PolicyMetrics();
    private final EventPublisher events = new EventPublisher();
    private final CircuitBreaker breaker;
    private final RateLimiter limiter;
    private final CallEngine engine;

    ResiliencePolicy(ResiliencePolicyConfig config, ResilienceRuntime runtime) {
        this.config = config;
        this.name = config.name;
        this.runtime = runtime;
        this.breaker = config.circuitBreaker == null ? null : breaker(config.circuitBreaker, runtime);
        if (breaker != null) {
            // Transitions come from the breaker. Rejections are published by the engine, with the
            // attempt count and last failure, so the breaker's own would reach listeners twice.
            breaker.events().register(e -> {
                if (e.type() != EventType.BREAKER_REJECTED && events.hasListeners()) {
                    events.publish(e);
                }
            });
        }
        this.limiter = config.rateLimiter == null ? null : config.rateLimiter.create(runtime);
        IdempotencyGuard guard = config.idempotency == null ? null : config.idempotency.create(runtime, guardEvents());
        RetryConfig retry = config.retry;
        this.engine = new CallEngine(name, runtime.ticker(), metrics, events, config.classifier, retry,
            budget(retry, runtime), guard, limiter, config.rateLimitMaxWait, breaker, config.latencySampling,
            runtime.seedSalt());
    }

    private static CircuitBreaker breaker(CircuitBreakerConfig spec, ResilienceRuntime runtime) {
        CircuitBreaker b = CircuitBreaker.of(spec, runtime.ticker());
        Optional<Cluster> cluster = runtime.cluster();
        if (spec.board().isPresent()) {
            b.bindBoard(spec.board().get().create(runtime));
        } else if (spec.scope() != Scope.JVM && cluster.isPresent()) {
            b.bindBoard(cluster.get().breakerBoard());
        } else if (spec.scope() == Scope.CLUSTER) {
            runtime.warnOnce("no-cluster-breaker:" + spec.name(), "circuit breaker '" + spec.name() + "' is shared"
                + " through the cluster, but this runtime is bound to no cluster: it decides in this JVM alone");
        }
        return b;
    }

    private RetryBudget budget(RetryConfig retry, ResilienceRuntime runtime) {
        if (retry == null || !retry.budgetEnabled()) {
            return null;
        }
        if (retry.budgetFactory().isPresent()) {
            return retry.budgetFactory().get().create(name, retry.budgetRatio(), retry.budgetReserve(), metrics::calls,
                runtime);
        }
        if (retry.budgetScope() != Scope.JVM && runtime.cluster().isPresent()) {
            RetryBudget shared = runtime.cluster().get().retryBudget(name, retry.budgetRatio(), retry.budgetReserve(),
                metrics::calls);
            if (shared != null) {
                return shared;
            }
        }
        return new LocalRetryBudget(retry.budgetRatio(), retry.budgetReserve(), metrics::calls);
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

    public static ResiliencePolicyBuilder builder(String name) {
        return new ResiliencePolicyBuilder(name);
    }

    public String name() {
        return name;
    }

    public ResiliencePolicyConfig config() {
        return config;
    }

    /** The runtime that owns this policy's shared state (limiters, stores, the cluster binding). */
    public ResilienceRuntime runtime() {
        return runtime;
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
        return engine.call(CallContext.NONE, action, null);
    }

    /** Runs {@code action} under the policy; with an idempotency key and a guard, at most once per key. */
    public <T> T call(CallContext context, CheckedSupplier<T> action) {
        return engine.call(context, action, null);
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

    // ---------------------------------------------------------------- asynchronous

    /** Runs the (blocking) action on the common pool under the policy. */
    public <T> CompletableFuture<T> callAsync(CheckedSupplier<T> action) {
        return callAsync(CallContext.NONE, action, ForkJoinPool.commonPool());
    }

    /**
     * Runs the (blocking) action on {@code executor} under the policy, with the same decisions as
     * {@link #call(CallContext, CheckedSupplier)}: the context's key is claimed (on {@code executor}),
     * its attributes are in the MDC while the action runs, and backoff waits hold no thread when the
     * policy runs on the real clock.
     */
    public <T> CompletableFuture<T> callAsync(CallContext context, CheckedSupplier<T> action, Executor executor) {
        return engine.callAsync(context, action, executor, null);
    }

    /**
     * For actions that are asynchronous themselves (e.g. {@code HttpClient.sendAsync}): each attempt
     * calls {@code action} (under the context's MDC) and waits for its stage without blocking a
     * thread; decisions after it completes run on {@code executor}.
     */
    public <T> CompletableFuture<T> callStage(CallContext context, CheckedSupplier<? extends CompletionStage<T>> action,
                                              Executor executor) {
        return engine.callStage(context, action, executor, null);
    }

    // ---------------------------------------------------------------- one thread, many calls

    /**
     * A call site for one thread that makes many calls in a row, such as a Spark partition. It
     * behaves exactly like the policy, but counts first-try successes in plain fields and adds them
     * to {@link #metrics()} every so many calls (1024, or fewer with a retry budget: before they are
     * worth a quarter of its reserve, 62 calls with the defaults, so the budget sees them nearly call
     * by call), before any retry of its own asks the budget, and on {@link Caller#flush()} or
     * {@link Caller#close()}, so the success path makes no atomic write at all. Not thread-safe: one
     * per thread.
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
        return new Caller(null);
    }

    /** Like {@link #caller()}; the events of this caller's calls also go to {@code listener}, on the calling thread. */
    public Caller caller(EventListener listener) {
        return new Caller(listener);
    }

    /** See {@link #caller()}. */
    public final class Caller implements AutoCloseable {

        static final int MAX_FLUSH_EVERY = 1024;

        final EventListener listener;
        private long firstTrySuccesses;
        private int sampleClock;

        private Caller(EventListener listener) {
            this.listener = listener;
        }

        public <T> T call(CheckedSupplier<T> action) {
            return engine.call(CallContext.NONE, action, this);
        }

        public <T> T call(CallContext context, CheckedSupplier<T> action) {
            return engine.call(context, action, this);
        }

        /**
         * An asynchronous call from this call site (see {@link ResiliencePolicy#callStage}); its events
         * reach this caller's listener on whichever thread decides them.
         */
        public <T> CompletableFuture<T> callStage(CallContext context,
                                                  CheckedSupplier<? extends CompletionStage<T>> action, Executor executor) {
            return engine.callStage(context, action, executor, asyncSite());
        }

        /** An asynchronous call of a blocking action on {@code executor} (see {@link ResiliencePolicy#callAsync}). */
        public <T> CompletableFuture<T> callAsync(CallContext context, CheckedSupplier<T> action, Executor executor) {
            return engine.callAsync(context, action, executor, asyncSite());
        }

        // The plain counters are for the caller's own thread; async calls count in the policy's metrics.
        private Caller asyncSite() {
            return listener == null ? null : new Caller(listener);
        }

        public ResiliencePolicy policy() {
            return ResiliencePolicy.this;
        }

        boolean sampled() {
            return engine.sampledEvery(++sampleClock);
        }

        void countFirstTrySuccess() {
            if (++firstTrySuccesses >= engine.callerFlushEvery) {
                flush();
            }
        }

        void deliver(ResilienceEvent e) {
            try {
                listener.onEvent(e);
            } catch (RuntimeException ignored) {
                // a listener's failure must not change the call's outcome
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

    @Override
    public String toString() {
        return "ResiliencePolicy{" + name + ", breaker=" + (breaker == null ? "none" : breaker.state())
            + ", limiter=" + (limiter == null ? "none" : limiter.name()) + '}';
    }
}
