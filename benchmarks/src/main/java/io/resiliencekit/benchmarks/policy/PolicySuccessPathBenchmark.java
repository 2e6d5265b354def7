package io.resiliencekit.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.CircuitState;
import io.resiliencekit.policy.ResiliencePolicy;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The success path of retry + circuit breaker around a trivial action, against the peers with the
 * same two policies, all sharing one policy instance across threads as a Spark executor's tasks do.
 *
 * <p>The {@code ...FailingOnce} rows add real failure rates: every 50th call of each thread fails
 * on its first attempt and succeeds on the retry (2% of calls fail once), so the breakers' windows
 * always hold failures. Retries there wait zero time in every library: Failsafe's and
 * resilience4j's with a zero delay, resiliencekit's with a ticker whose sleep returns at once
 * (a zero delay is accepted since issue 8; the ticker keeps the rows comparable with the runs
 * recorded before it), so the rows measure the libraries, not a sleep.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar PolicySuccessPath -f 1 -wi 3 -w 1s -i 5 -r 1s -t 1 -prof gc
 * java -jar benchmarks/target/benchmarks.jar PolicySuccessPath -f 1 -wi 3 -w 1s -i 5 -r 1s -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicySuccessPathBenchmark {

    /** The first attempt's failure in the {@code FailingOnce} rows; no stack trace, so it costs nothing to make. */
    static final RuntimeException FIRST_ATTEMPT_FAILURE =
        new RuntimeException("first attempt fails", null, false, false) { };

    /** Every how many calls of a thread one fails once (2%). */
    static final int FAIL_EVERY = 50;

    private int value = 42;

    private CheckedSupplier<Integer> action;
    private Supplier<Integer> plainSupplier;
    private ResiliencePolicy resiliencekit;
    private FailsafeExecutor<Integer> failsafe;
    private Supplier<Integer> resilience4j;

    private ResiliencePolicy resiliencekitZeroDelay;
    private FailsafeExecutor<Integer> failsafeFailing;
    private dev.failsafe.CircuitBreaker<Integer> failsafeFailingBreaker;
    private CircuitBreaker resilience4jFailingBreaker;
    private Retry resilience4jZeroDelay;

    @Setup
    public void setUp() {
        action = () -> value;
        plainSupplier = () -> value;

        resiliencekit = ResiliencePolicy.builder("bench")
            .retry(io.resiliencekit.retry.RetryConfig.builder().maxAttempts(3).build())
            .circuitBreaker(io.resiliencekit.breaker.CircuitBreakerConfig.builder("bench").build())
            .build();

        failsafe = Failsafe.with(
            dev.failsafe.RetryPolicy.<Integer>builder().withMaxAttempts(3).build(),
            dev.failsafe.CircuitBreaker.<Integer>builder().withFailureThreshold(50, 100).build());

        CircuitBreaker cb = CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
            .slidingWindowSize(100).minimumNumberOfCalls(20).failureRateThreshold(50).build());
        Retry retry = Retry.of("bench", RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(100)).build());
        resilience4j = Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(cb, plainSupplier));

        // The same policies for the FailingOnce rows, with retries that do not wait.
        resiliencekitZeroDelay = ResiliencePolicy.builder("bench-failing")
            .retry(io.resiliencekit.retry.RetryConfig.builder().maxAttempts(3).build())
            .circuitBreaker(io.resiliencekit.breaker.CircuitBreakerConfig.builder("bench-failing").build())
            .ticker(NO_SLEEP)
            .build();
        failsafeFailingBreaker = dev.failsafe.CircuitBreaker.<Integer>builder().withFailureThreshold(50, 100).build();
        failsafeFailing = Failsafe.with(
            dev.failsafe.RetryPolicy.<Integer>builder().withMaxAttempts(3).build(), // Failsafe's default delay is 0
            failsafeFailingBreaker);
        resilience4jFailingBreaker = CircuitBreaker.of("bench-failing", CircuitBreakerConfig.custom()
            .slidingWindowSize(100).minimumNumberOfCalls(20).failureRateThreshold(50).build());
        resilience4jZeroDelay = Retry.of("bench-failing",
            RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ZERO).build());
    }

    /** The system clock, except that sleeping returns at once: a zero-delay retry. */
    private static final io.resiliencekit.time.Ticker NO_SLEEP = new io.resiliencekit.time.Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long epochMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public void sleepNanos(long nanos) {
        }
    };

    @TearDown(Level.Trial)
    public void checkNoBreakerOpened() {
        boolean open = resiliencekitZeroDelay.circuitBreaker().orElseThrow().state() != CircuitState.CLOSED
            || resiliencekit.circuitBreaker().orElseThrow().state() != CircuitState.CLOSED
            || !failsafeFailingBreaker.isClosed()
            || resilience4jFailingBreaker.getState() != CircuitBreaker.State.CLOSED;
        if (open) {
            throw new IllegalStateException("a breaker opened: the benchmark would measure rejection");
        }
    }

    @Benchmark
    public Integer direct() throws Exception {
        return action.get();
    }

    @Benchmark
    public Integer resiliencekit() {
        return resiliencekit.call(action);
    }

    /** One caller per thread, as a Spark partition uses it. */
    @State(Scope.Thread)
    public static class PerThread {
        ResiliencePolicy.Caller caller;

        @Setup
        public void setUp(PolicySuccessPathBenchmark shared) {
            caller = shared.resiliencekit.caller();
        }
    }

    @Benchmark
    public Integer resiliencekitCaller(PerThread perThread) {
        return perThread.caller.call(action);
    }

    /**
     * One thread's action for the {@code FailingOnce} rows: every {@value #FAIL_EVERY}th call's first
     * attempt throws, its retry returns the value.
     */
    @State(Scope.Thread)
    public static class FailingOnce {
        private PolicySuccessPathBenchmark shared;
        private int calls;
        private boolean failNext;
        ResiliencePolicy.Caller caller;
        CheckedSupplier<Integer> action;
        dev.failsafe.function.CheckedSupplier<Integer> failsafeAction;
        Supplier<Integer> resilience4j;

        @Setup
        public void setUp(PolicySuccessPathBenchmark b) {
            shared = b;
            caller = b.resiliencekitZeroDelay.caller();
            action = this::attempt;
            failsafeAction = this::attempt;
            resilience4j = Retry.decorateSupplier(b.resilience4jZeroDelay,
                CircuitBreaker.decorateSupplier(b.resilience4jFailingBreaker, this::attempt));
        }

        /** Called once per call, before it: arms the failure of every FAIL_EVERY-th call's first attempt. */
        FailingOnce next() {
            if (++calls == FAIL_EVERY) {
                calls = 0;
                failNext = true;
            }
            return this;
        }

        Integer attempt() {
            if (failNext) {
                failNext = false;
                throw FIRST_ATTEMPT_FAILURE;
            }
            return shared.value;
        }
    }

    @Benchmark
    public Integer resiliencekitFailingOnce(FailingOnce f) {
        return resiliencekitZeroDelay.call(f.next().action);
    }

    @Benchmark
    public Integer resiliencekitCallerFailingOnce(FailingOnce f) {
        return f.next().caller.call(f.action);
    }

    @Benchmark
    public Integer failsafeFailingOnce(FailingOnce f) {
        return failsafeFailing.get(f.next().failsafeAction);
    }

    @Benchmark
    public Integer resilience4jFailingOnce(FailingOnce f) {
        return f.next().resilience4j.get();
    }

    @Benchmark
    public Integer failsafe() {
        return failsafe.get(plainSupplier::get);
    }

    @Benchmark
    public Integer resilience4j() {
        return resilience4j.get();
    }
}
