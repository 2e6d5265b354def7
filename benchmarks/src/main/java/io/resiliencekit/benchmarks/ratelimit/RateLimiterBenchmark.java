package io.resiliencekit.benchmarks.ratelimit;

import com.google.common.util.concurrent.RateLimiter;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.resiliencekit.ratelimit.InProcessTokenAuthority;
import io.resiliencekit.ratelimit.LeasedTokenBucket;
import io.resiliencekit.ratelimit.TokenBucket;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code tryAcquire(1)} of one shared limiter: resiliencekit's local and leased token buckets
 * against Bucket4j (local, lock-free), Guava, resilience4j ({@code AtomicRateLimiter}) and
 * Failsafe. Every limiter is configured at 1e9 permits per second with a burst of about one second,
 * far above what two threads can take, so every call is admitted: this measures the admission
 * path, not rejection. The teardown checks that no call was refused.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar 'ratelimit' -f 1 -wi 2 -w 1s -i 3 -r 1s -t 1 -prof gc}
 * (and {@code -t 2}: all threads share one limiter, as tasks of one executor do).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RateLimiterBenchmark {

    static final long RATE = 1_000_000_000L;

    TokenBucket local;
    LeasedTokenBucket leased;
    Bucket bucket4j;
    RateLimiter guava;
    AtomicRateLimiter resilience4j;
    dev.failsafe.RateLimiter<Object> failsafe;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        local = TokenBucket.builder("bench-local").rate(RATE).burst(RATE).build();
        leased = TokenBucket.builder("bench-leased").rate(RATE).burst(RATE)
            .buildLeased(new InProcessTokenAuthority(Ticker.system()));
        leased.tryAcquire(1); // the first lease request
        for (int i = 0; i < 5_000 && leased.leasedPermits() == 0; i++) {
            Thread.sleep(1);
        }
        if (leased.leasedPermits() == 0) {
            throw new IllegalStateException("no lease");
        }
        bucket4j = Bucket.builder()
            .addLimit(Bandwidth.builder().capacity(RATE).refillGreedy(RATE, Duration.ofSeconds(1)).build())
            .build(); // the default local bucket is the lock-free one
        guava = RateLimiter.create(RATE);
        resilience4j = new AtomicRateLimiter("bench", RateLimiterConfig.custom()
            .limitForPeriod(1_000_000).limitRefreshPeriod(Duration.ofMillis(1)).timeoutDuration(Duration.ZERO).build());
        failsafe = dev.failsafe.RateLimiter.burstyBuilder(RATE, Duration.ofSeconds(1)).build();
    }

    @TearDown(Level.Trial)
    public void checkNothingWasRefused() {
        if (leased.refusedPermits() > 1 || local.availablePermits() == 0) {
            throw new IllegalStateException("a limiter ran dry: the benchmark would measure rejection; refused="
                + leased.refusedPermits());
        }
        leased.close();
    }

    @Benchmark
    public boolean resiliencekitLocal() {
        return local.tryAcquire(1);
    }

    @Benchmark
    public boolean resiliencekitLeased() {
        return leased.tryAcquire(1);
    }

    @Benchmark
    public boolean bucket4jLockFree() {
        return bucket4j.tryConsume(1);
    }

    @Benchmark
    public boolean guava() {
        return guava.tryAcquire();
    }

    @Benchmark
    public boolean resilience4jAtomic() {
        return resilience4j.acquirePermission();
    }

    @Benchmark
    public boolean failsafe() {
        return failsafe.tryAcquirePermit();
    }
}
