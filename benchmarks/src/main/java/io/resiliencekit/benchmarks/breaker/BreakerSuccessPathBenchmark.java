package io.resiliencekit.benchmarks.breaker;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.CircuitState;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One circuit breaker shared by all threads, used directly: ask for a permission, then record the
 * outcome. {@code failurePercent=2} makes every 50th call of each thread a failure, the rest
 * successes (so the window always holds failures, as in production); {@code 0} records only
 * successes. Against Failsafe's and resilience4j's breakers with the same window (100 calls, or
 * 60 s), minimum 20 calls and 50% threshold, so none of them ever opens (the teardown checks).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar BreakerSuccessPath -f 1 -wi 3 -w 1s -i 5 -r 1s -t 2 -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BreakerSuccessPathBenchmark {

    /** The recorded failure (never thrown); no stack trace. */
    static final RuntimeException FAILURE = new RuntimeException("benchmark failure", null, false, false) { };

    @Param({"0", "2"})
    public int failurePercent;

    @Param({"count", "time"})
    public String window;

    io.resiliencekit.breaker.CircuitBreaker resiliencekit;
    dev.failsafe.CircuitBreaker<Object> failsafe;
    io.github.resilience4j.circuitbreaker.CircuitBreaker resilience4j;

    @Setup(Level.Trial)
    public void setUp() {
        boolean count = "count".equals(window);
        if (!count && !"time".equals(window)) {
            throw new IllegalArgumentException("window must be count or time, was " + window);
        }
        resiliencekit = io.resiliencekit.breaker.CircuitBreaker.of(count
            ? CircuitBreakerConfig.builder("bench").countWindow(100).minimumCalls(20).failureRateThreshold(0.5).build()
            : CircuitBreakerConfig.builder("bench").timeWindow(Duration.ofSeconds(60)).minimumCalls(20)
                .failureRateThreshold(0.5).build(), Ticker.system());

        failsafe = count
            ? dev.failsafe.CircuitBreaker.builder().withFailureThreshold(50, 100).build()
            : dev.failsafe.CircuitBreaker.builder().withFailureRateThreshold(50, 20, Duration.ofSeconds(60)).build();

        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.Builder r4j =
            io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
                .minimumNumberOfCalls(20).failureRateThreshold(50);
        r4j = count
            ? r4j.slidingWindowType(io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(100)
            : r4j.slidingWindowType(io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                .slidingWindowSize(60);
        resilience4j = io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench", r4j.build());
    }

    @TearDown(Level.Trial)
    public void checkNoneOpened() {
        if (resiliencekit.state() != CircuitState.CLOSED || !failsafe.isClosed()
            || resilience4j.getState() != io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED) {
            throw new IllegalStateException("a breaker opened: the benchmark would measure rejection");
        }
    }

    /** Each thread's own call counter: decides which of its calls fail. */
    @State(Scope.Thread)
    public static class Calls {
        int failEvery;
        int n;

        @Setup(Level.Trial)
        public void setUp(BreakerSuccessPathBenchmark shared) {
            failEvery = shared.failurePercent == 0 ? 0 : 100 / shared.failurePercent;
        }

        boolean nextFails() {
            if (failEvery == 0 || ++n < failEvery) {
                return false;
            }
            n = 0;
            return true;
        }
    }

    @Benchmark
    public boolean resiliencekit(Calls calls) {
        io.resiliencekit.breaker.CircuitBreaker b = resiliencekit;
        if (!b.tryAcquirePermission()) {
            return false;
        }
        if (calls.nextFails()) {
            b.onFailure(-1L, FAILURE);
        } else {
            b.onSuccess(-1L);
        }
        return true;
    }

    @Benchmark
    public boolean failsafe(Calls calls) {
        dev.failsafe.CircuitBreaker<Object> b = failsafe;
        if (!b.tryAcquirePermit()) {
            return false;
        }
        if (calls.nextFails()) {
            b.recordFailure();
        } else {
            b.recordSuccess();
        }
        return true;
    }

    @Benchmark
    public boolean resilience4j(Calls calls) {
        io.github.resilience4j.circuitbreaker.CircuitBreaker b = resilience4j;
        if (!b.tryAcquirePermission()) {
            return false;
        }
        if (calls.nextFails()) {
            b.onError(0L, TimeUnit.NANOSECONDS, FAILURE);
        } else {
            b.onSuccess(0L, TimeUnit.NANOSECONDS);
        }
        return true;
    }
}
