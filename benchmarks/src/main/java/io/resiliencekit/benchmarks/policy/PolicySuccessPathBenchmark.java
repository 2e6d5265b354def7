package io.resiliencekit.benchmarks.policy;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeExecutor;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.policy.ResiliencePolicy;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The success path of retry + circuit breaker around a trivial action, against the peers with the
 * same two policies, all sharing one policy instance across threads as a Spark executor's tasks do.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar PolicySuccessPath -t 1 -prof gc
 * java -jar benchmarks/target/benchmarks.jar PolicySuccessPath -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicySuccessPathBenchmark {

    private int value = 42;

    private CheckedSupplier<Integer> action;
    private Supplier<Integer> plainSupplier;
    private ResiliencePolicy resiliencekit;
    private FailsafeExecutor<Integer> failsafe;
    private Supplier<Integer> resilience4j;

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

    @Benchmark
    public Integer failsafe() {
        return failsafe.get(plainSupplier::get);
    }

    @Benchmark
    public Integer resilience4j() {
        return resilience4j.get();
    }
}
