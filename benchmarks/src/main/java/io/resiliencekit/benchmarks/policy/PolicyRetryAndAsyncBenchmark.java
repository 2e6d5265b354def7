package io.resiliencekit.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.policy.ResiliencePolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Two paths besides the synchronous success path, against the peers with the same policies
 * (retry of 3 attempts with no delay (Failsafe: its default, it rejects an explicit 0) + a count-based breaker of 100 calls
 * that opens only when all of them failed, since the retry rows fail every other attempt):
 *
 * <ul>
 *   <li>{@code retry*}: every call fails once (a preallocated exception, so only the machinery
 *       allocates) and succeeds on its second attempt, with a zero retry delay;</li>
 *   <li>{@code async*}: an asynchronous action that completes at once ({@code callStage} against
 *       Failsafe's {@code getStageAsync} and resilience4j's {@code decorateCompletionStage}), joined;</li>
 *   <li>{@code supplyAsync*}: a synchronous action run asynchronously on a same-thread executor
 *       ({@code callAsync} against Failsafe's {@code getAsync}), joined.</li>
 * </ul>
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar PolicyRetryAndAsyncBenchmark -f 1 -wi 3 -i 5 -t 1 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyRetryAndAsyncBenchmark {

    /** Thrown by every first attempt; preallocated without a stack trace so it costs nothing itself. */
    static final RuntimeException FAILURE = new IllegalStateException("first attempt fails") {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    private ResiliencePolicy resiliencekit;
    private FailsafeExecutor<Integer> failsafe;
    private Retry r4jRetry;
    private CircuitBreaker r4jBreaker;
    private ScheduledExecutorService scheduler;
    private Executor sameThread;
    private Supplier<CompletionStage<Integer>> r4jAsync;
    private FailsafeExecutor<Integer> failsafeSameThread;

    @Setup
    public void setUp() {
        resiliencekit = ResiliencePolicy.builder("bench-retry")
            .retry(io.resiliencekit.retry.RetryConfig.builder().maxAttempts(3)
                .backoff(Duration.ZERO, 2.0, Duration.ZERO).noBudget().build())
            .classifier(io.resiliencekit.classify.FailureClassifier.builder()
                .transientOn(IllegalStateException.class).build())
            .circuitBreaker(io.resiliencekit.breaker.CircuitBreakerConfig.builder("bench-retry")
                .countWindow(100).failureRateThreshold(1.0).build())
            .latencySampling(0)
            .build();
        failsafe = Failsafe.with(
            dev.failsafe.RetryPolicy.<Integer>builder().withMaxAttempts(3).build(),
            dev.failsafe.CircuitBreaker.<Integer>builder().withFailureThreshold(100, 100).build());
        r4jBreaker = CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
            .slidingWindowSize(100).minimumNumberOfCalls(20).failureRateThreshold(100).build());
        r4jRetry = Retry.of("bench", RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(0)).build());
        scheduler = new ScheduledThreadPoolExecutor(1);
        sameThread = Runnable::run;
        failsafeSameThread = failsafe.with(sameThread);
        r4jAsync = Retry.decorateCompletionStage(r4jRetry, scheduler,
            CircuitBreaker.decorateCompletionStage(r4jBreaker, () -> DONE));
    }

    @TearDown
    public void tearDown() {
        scheduler.shutdownNow();
    }

    /** Fails on every odd attempt of the calling thread: each call fails once, then succeeds. */
    @State(Scope.Thread)
    public static class FailOnce {
        int attempt;
        CheckedSupplier<Integer> action;
        Supplier<Integer> supplier;
        dev.failsafe.function.CheckedSupplier<Integer> failsafeSupplier;
        Supplier<Integer> resilience4j;

        @Setup
        public void setUp(PolicyRetryAndAsyncBenchmark b) {
            action = () -> {
                if ((attempt++ & 1) == 0) {
                    throw FAILURE;
                }
                return 42;
            };
            supplier = () -> {
                if ((attempt++ & 1) == 0) {
                    throw FAILURE;
                }
                return 42;
            };
            failsafeSupplier = supplier::get;
            // decorated once, as an application would
            resilience4j = Retry.decorateSupplier(b.r4jRetry, CircuitBreaker.decorateSupplier(b.r4jBreaker, supplier));
        }
    }

    @Benchmark
    public Integer retryResiliencekit(FailOnce s) {
        return resiliencekit.call(s.action);
    }

    @Benchmark
    public Integer retryFailsafe(FailOnce s) {
        return failsafe.get(s.failsafeSupplier);
    }

    @Benchmark
    public Integer retryResilience4j(FailOnce s) {
        return s.resilience4j.get();
    }

    private static final CompletableFuture<Integer> DONE = CompletableFuture.completedFuture(42);

    @Benchmark
    public Integer asyncResiliencekit() {
        return resiliencekit.callStage(CallContext.NONE, () -> DONE, sameThread).join();
    }

    @Benchmark
    public Integer asyncFailsafe() {
        return failsafe.getStageAsync(() -> DONE).join();
    }

    @Benchmark
    public Integer asyncResilience4j() {
        return r4jAsync.get().toCompletableFuture().join();
    }

    @Benchmark
    public Integer supplyAsyncResiliencekit() {
        return resiliencekit.callAsync(CallContext.NONE, () -> 42, sameThread).join();
    }

    @Benchmark
    public Integer supplyAsyncFailsafe() {
        return failsafeSameThread.getAsync(() -> 42).join();
    }
}
