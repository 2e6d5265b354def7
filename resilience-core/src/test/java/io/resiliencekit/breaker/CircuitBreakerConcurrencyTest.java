package io.resiliencekit.breaker;

import io.resiliencekit.CircuitState;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.event.EventType;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class CircuitBreakerConcurrencyTest {

    private static final int THREADS = 8;

    private final ManualTicker ticker = new ManualTicker();
    private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

    @AfterEach
    void stop() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private CircuitBreaker openBreaker(int trials) {
        CircuitBreaker b = CircuitBreaker.of(CircuitBreakerConfig.builder("conc")
            .countWindow(100).minimumCalls(10).failureRateThreshold(0.5)
            .permittedCallsInHalfOpen(trials).openDuration(Duration.ofSeconds(5)).build(), ticker);
        for (int i = 0; i < 10; i++) {
            b.onFailure(-1, new RuntimeException());
        }
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        ticker.advance(Duration.ofSeconds(5)); // the next acquisition goes half-open
        return b;
    }

    private <T> List<T> runAll(java.util.concurrent.Callable<T> task) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            futures.add(pool.submit(task));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            results.add(f.get(30, TimeUnit.SECONDS));
        }
        return results;
    }

    @RepeatedTest(5)
    void halfOpenNeverGrantsMoreThanThePermittedTrials() throws Exception {
        CircuitBreaker b = openBreaker(5);
        List<String> transitions = new CopyOnWriteArrayList<>();
        b.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION) {
                transitions.add(e.detail());
            }
        });
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Integer> granted = runAll(() -> {
            start.await();
            int mine = 0;
            for (int i = 0; i < 10_000; i++) {
                if (b.tryAcquirePermission()) {
                    mine++;
                }
            }
            return mine;
        });
        assertThat(granted.stream().mapToInt(Integer::intValue).sum()).isEqualTo(5);
        assertThat(transitions).containsExactly("OPEN->HALF_OPEN"); // exactly one thread moved it
        assertThat(b.metrics().notPermittedCalls()).isEqualTo(THREADS * 10_000L - 5);
    }

    @RepeatedTest(5)
    void trialsInFlightNeverExceedThePermittedNumberWhilePermitsAreReleased() throws Exception {
        CircuitBreaker b = openBreaker(3);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Integer> granted = runAll(() -> {
            start.await();
            int mine = 0;
            for (int i = 0; i < 5_000; i++) {
                if (b.tryAcquirePermission()) {
                    mine++;
                    int now = inFlight.incrementAndGet();
                    maxInFlight.accumulateAndGet(now, Math::max);
                    inFlight.decrementAndGet();
                    b.releasePermission(); // the call was not made after all
                }
            }
            return mine;
        });
        assertThat(maxInFlight.get()).isBetween(1, 3);
        assertThat(granted.stream().mapToInt(Integer::intValue).sum()).isGreaterThan(3);
        assertThat(b.state()).isEqualTo(CircuitState.HALF_OPEN);
        // All permits are back: exactly 3 trials can still be taken.
        int more = 0;
        for (int i = 0; i < 10; i++) {
            if (b.tryAcquirePermission()) {
                more++;
            }
        }
        assertThat(more).isEqualTo(3);
    }

    @RepeatedTest(3)
    void concurrentFailuresOpenExactlyOnce() throws Exception {
        CircuitBreaker b = CircuitBreaker.of(CircuitBreakerConfig.builder("conc")
            .countWindow(50).minimumCalls(20).failureRateThreshold(0.5).build(), ticker);
        List<String> transitions = new CopyOnWriteArrayList<>();
        b.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION) {
                transitions.add(e.detail());
            }
        });
        CyclicBarrier start = new CyclicBarrier(THREADS);
        runAll(() -> {
            start.await();
            for (int i = 0; i < 2_000; i++) {
                if (b.tryAcquirePermission()) {
                    if (i % 2 == 0) {
                        b.onSuccess(-1);
                    } else {
                        b.onFailure(-1, new RuntimeException());
                    }
                }
            }
            return null;
        });
        assertThat(transitions).containsExactly("CLOSED->OPEN");
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void concurrentTrialOutcomesDecideOnce() throws Exception {
        CircuitBreaker b = openBreaker(THREADS);
        List<String> transitions = new CopyOnWriteArrayList<>();
        b.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION) {
                transitions.add(e.detail());
            }
        });
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Boolean> got = runAll(() -> {
            start.await();
            boolean ok = b.tryAcquirePermission();
            start.await(); // every thread holds its trial before any finishes
            if (ok) {
                b.onSuccess(-1);
            }
            return ok;
        });
        assertThat(got).containsOnly(true);
        assertThat(transitions).containsExactly("OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }
}
