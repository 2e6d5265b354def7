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

    // --- The lock-free recording: successes counted in a striped counter, failures under the lock ---

    private static final RuntimeException FAILURE = new IllegalStateException("boom");

    /** Default-like settings (count window 100, minimum 20, 50%), only the open duration long so nothing half-opens. */
    private CircuitBreaker countBreaker() {
        return CircuitBreaker.of(CircuitBreakerConfig.builder("conc").countWindow(100).minimumCalls(20)
            .failureRateThreshold(0.5).openDuration(Duration.ofHours(1)).build(), ticker);
    }

    private static List<String> transitionsOf(CircuitBreaker b) {
        List<String> transitions = new CopyOnWriteArrayList<>();
        b.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION) {
                transitions.add(e.detail());
            }
        });
        return transitions;
    }

    /**
     * Every 50th call of each thread fails (2%), all others succeed, 8 threads racing. Each
     * thread's failures are at least 50 outcomes apart in the breaker's count, so no 100 counted
     * calls ever hold more than 16 failures: it must never open. Afterwards the window must be
     * exact again: 100 successes clear it, and then exactly the 50th failure of 100 opens it.
     */
    @RepeatedTest(3)
    void successesRacingRareFailuresNeverOpenAndLeaveExactCounts() throws Exception {
        CircuitBreaker b = countBreaker();
        List<String> transitions = transitionsOf(b);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        runAll(() -> {
            start.await();
            for (int i = 1; i <= 50_000; i++) {
                assertThat(b.tryAcquirePermission()).isTrue();
                if (i % 50 == 0) {
                    b.onFailure(-1, FAILURE);
                } else {
                    b.onSuccess(-1);
                }
            }
            return null;
        });
        assertThat(transitions).isEmpty();
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.callsInWindow()).isEqualTo(100);
        assertThat(m.failedCalls()).isBetween(0, 2 * THREADS);

        for (int i = 0; i < 100; i++) {
            b.onSuccess(-1);
        }
        assertThat(b.metrics().failedCalls()).isZero();
        assertThat(b.metrics().callsInWindow()).isEqualTo(100);
        for (int i = 0; i < 49; i++) {
            b.onFailure(-1, FAILURE);
        }
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(b.metrics().failedCalls()).isEqualTo(49);
        b.onFailure(-1, FAILURE);
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.metrics().failedCalls()).isEqualTo(50);
    }

    /**
     * 7 threads only succeed (200,000 calls each, on the lock-free path) while one thread fails
     * 3 calls in 4 and, after each failure, looks at a consistent snapshot: a breaker that is
     * still closed must never show a full window (100 calls) at or above the 50% threshold (it
     * should have opened at the failure that got it there; successes counted since can only lower
     * the rate). When the successes stop, the failures must open it within a few hundred calls;
     * it opens exactly once.
     */
    @RepeatedTest(3)
    void aClosedBreakerNeverHoldsARateAtTheThresholdAndOpensWhenItMust() throws Exception {
        CircuitBreaker b = countBreaker();
        List<String> transitions = transitionsOf(b);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        AtomicInteger succeeding = new AtomicInteger(THREADS - 1);
        AtomicInteger claims = new AtomicInteger();
        List<String> violations = new CopyOnWriteArrayList<>();
        runAll(() -> {
            boolean failing = claims.getAndIncrement() == 0;
            start.await();
            if (!failing) {
                for (int i = 0; i < 200_000 && b.state() == CircuitState.CLOSED; i++) {
                    if (b.tryAcquirePermission()) {
                        b.onSuccess(-1);
                    }
                }
                succeeding.decrementAndGet();
                return null;
            }
            int stoppedAt = -1;
            for (int i = 0; b.state() == CircuitState.CLOSED; i++) {
                if (!b.tryAcquirePermission()) {
                    break;
                }
                if (i % 4 == 3) {
                    b.onSuccess(-1);
                    continue;
                }
                b.onFailure(-1, FAILURE);
                CircuitBreakerMetrics m = b.metrics();
                if (m.state() == CircuitState.CLOSED && m.callsInWindow() == 100 && m.failureRate() >= 0.5) {
                    violations.add(m.toString());
                }
                if (stoppedAt < 0 && succeeding.get() == 0) {
                    stoppedAt = i;
                } else if (stoppedAt >= 0 && i - stoppedAt > 400) {
                    violations.add("still closed 400 calls after the successes stopped: " + m);
                    break;
                }
            }
            return null;
        });
        assertThat(violations).isEmpty();
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(transitions).containsExactly("CLOSED->OPEN");
    }

    /**
     * A time window (10 s, 20 buckets of 500 ms, minimum 20, 50%) while one thread moves the clock
     * on by 100 ms steps and 7 others run calls of which every 50th fails: never opens, and once
     * the window has passed it holds nothing (no count leaked or went negative); then the 20th
     * failure in a row opens it.
     */
    @RepeatedTest(3)
    void timeWindowRacingBucketChangesKeepsItsCounts() throws Exception {
        CircuitBreaker b = CircuitBreaker.of(CircuitBreakerConfig.builder("conc").timeWindow(Duration.ofSeconds(10))
            .minimumCalls(20).failureRateThreshold(0.5).openDuration(Duration.ofHours(1)).build(), ticker);
        List<String> transitions = transitionsOf(b);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        AtomicInteger claims = new AtomicInteger();
        AtomicInteger running = new AtomicInteger(THREADS - 1);
        runAll(() -> {
            boolean clock = claims.getAndIncrement() == 0;
            start.await();
            if (clock) {
                while (running.get() > 0) {
                    ticker.advance(Duration.ofMillis(100));
                    Thread.onSpinWait();
                }
                return null;
            }
            for (int i = 1; i <= 100_000; i++) {
                assertThat(b.tryAcquirePermission()).isTrue();
                if (i % 50 == 0) {
                    b.onFailure(-1, FAILURE);
                } else {
                    b.onSuccess(-1);
                }
            }
            running.decrementAndGet();
            return null;
        });
        assertThat(transitions).isEmpty();
        ticker.advance(Duration.ofSeconds(10));
        CircuitBreakerMetrics m = b.metrics();
        assertThat(m.callsInWindow()).isZero();
        assertThat(m.failedCalls()).isZero();
        for (int i = 0; i < 19; i++) {
            b.onFailure(-1, FAILURE);
        }
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        b.onFailure(-1, FAILURE);
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.metrics().failedCalls()).isEqualTo(20);
    }

    /**
     * The success path takes no lock whatever the window holds: with the breaker's lock held by
     * another thread, 100,000 successes still complete, in a count window holding failures (which
     * then slide out) and in a time window holding failures. The 30 s bound only turns a deadlock
     * into a failure; it is not a timing assertion.
     */
    @Test
    void I8_successesTakeNoLockWhileTheWindowHoldsFailures() throws Exception {
        CircuitBreaker count = countBreaker();
        CircuitBreaker time = CircuitBreaker.of(CircuitBreakerConfig.builder("conc").timeWindow(Duration.ofSeconds(10))
            .minimumCalls(20).failureRateThreshold(0.5).build(), ticker);
        for (CircuitBreaker b : List.of(count, time)) {
            for (int i = 1; i <= 100; i++) {
                if (i % 10 == 0) {
                    b.onFailure(-1, FAILURE);
                } else {
                    b.onSuccess(-1);
                }
            }
            assertThat(b.metrics().failedCalls()).isEqualTo(10);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Future<?> holder = pool.submit(() -> {
                synchronized (b.lock) {
                    held.countDown();
                    release.await();
                }
                return null;
            });
            held.await();
            Future<Integer> successes = pool.submit(() -> {
                int granted = 0;
                for (int i = 0; i < 100_000; i++) {
                    if (b.tryAcquirePermission()) {
                        b.onSuccess(-1);
                        granted++;
                    }
                }
                return granted;
            });
            try {
                assertThat(successes.get(30, TimeUnit.SECONDS)).isEqualTo(100_000);
            } finally {
                release.countDown();
                holder.get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(count.metrics().callsInWindow()).isEqualTo(100);
        assertThat(count.metrics().failedCalls()).isZero();
        assertThat(time.metrics().callsInWindow()).isEqualTo(100_100);
        assertThat(time.metrics().failedCalls()).isEqualTo(10);
    }
}
