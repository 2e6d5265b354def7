package io.resiliencekit.breaker;

import io.resiliencekit.CircuitState;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private static final RuntimeException BOOM = new IllegalStateException("boom");

    private final ManualTicker ticker = new ManualTicker();

    private static CircuitBreakerBuilder base() {
        return CircuitBreakerConfig.builder("test")
            .countWindow(10)
            .failureRateThreshold(0.5)
            .minimumCalls(6)
            .permittedCallsInHalfOpen(3)
            .openDuration(Duration.ofSeconds(10))
            .openDurationMultiplier(1.0); // a fixed open time; growth has its own tests
    }

    private CircuitBreaker breaker(CircuitBreakerBuilder b) {
        return CircuitBreaker.of(b.build(), ticker);
    }

    private static List<String> transitions(CircuitBreaker breaker) {
        List<String> out = new CopyOnWriteArrayList<>();
        breaker.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION) {
                out.add(e.detail());
            }
        });
        return out;
    }

    private static void succeed(CircuitBreaker b, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(b.tryAcquirePermission()).isTrue();
            b.onSuccess(-1);
        }
    }

    private static void fail(CircuitBreaker b, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(b.tryAcquirePermission()).isTrue();
            b.onFailure(-1, BOOM);
        }
    }

    private void openIt(CircuitBreaker b) {
        fail(b, 6);
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void opensOnlyOnceMinimumCallsAreRecordedAndTheRateIsReached() {
        CircuitBreaker b = breaker(base());
        fail(b, 5); // 100% failures, but only 5 of the 6 minimum calls
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        fail(b, 1);
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.metrics().callsInWindow()).isEqualTo(6);
        assertThat(b.metrics().failureRate()).isEqualTo(1.0);
    }

    @Test
    void opensExactlyWhenTheFailureRateReachesTheThreshold() {
        CircuitBreaker b = breaker(base());
        succeed(b, 4);
        fail(b, 2); // 2/6
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        fail(b, 1); // 3/7
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(b.metrics().failedCalls()).isEqualTo(3);
        fail(b, 1); // 4/8 = 0.5
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void aSuccessCanCompleteTheMinimumAndOpen() {
        CircuitBreaker b = breaker(base());
        fail(b, 5);
        succeed(b, 1); // 5/6 with 6 calls
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void countWindowForgetsTheOldestOutcome() {
        CircuitBreaker b = breaker(base());
        succeed(b, 6);
        fail(b, 4); // window full: 6 successes, 4 failures -> 0.4
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        succeed(b, 6); // the oldest 6 successes slid out: still 0.4
        assertThat(b.metrics().failedCalls()).isEqualTo(4);
        succeed(b, 4); // the 4 failures slid out
        assertThat(b.metrics().failedCalls()).isZero();
        assertThat(b.metrics().callsInWindow()).isEqualTo(10);
        succeed(b, 50); // fast path: nothing changes
        fail(b, 4); // 4/10
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        fail(b, 1); // 5/10
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void makesNoCallWhileOpenUntilTheOpenDurationHasPassed() {
        CircuitBreaker b = breaker(base());
        openIt(b);
        for (int i = 0; i < 100; i++) {
            assertThat(b.tryAcquirePermission()).isFalse();
        }
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(10));
        ticker.advance(Duration.ofSeconds(10).minusNanos(1));
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofNanos(1));
        assertThat(b.metrics().notPermittedCalls()).isEqualTo(101);
        ticker.advanceNanos(1);
        assertThat(b.remainingOpenTime()).isZero();
        assertThat(b.state()).isEqualTo(CircuitState.OPEN); // moves on only when asked
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.state()).isEqualTo(CircuitState.HALF_OPEN);
    }

    @Test
    void halfOpenLetsExactlyThePermittedTrialsThroughAndClosesWhenTheySucceed() {
        CircuitBreaker b = breaker(base());
        List<String> events = transitions(b);
        openIt(b);
        ticker.advance(Duration.ofSeconds(10));
        int granted = 0;
        for (int i = 0; i < 10; i++) {
            if (b.tryAcquirePermission()) {
                granted++;
            }
        }
        assertThat(granted).isEqualTo(3);
        b.onSuccess(-1);
        b.onSuccess(-1);
        assertThat(b.state()).isEqualTo(CircuitState.HALF_OPEN);
        assertThat(b.tryAcquirePermission()).isFalse(); // completed trials do not free a slot
        b.onSuccess(-1);
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(b.metrics().callsInWindow()).isZero(); // fresh window after closing
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(events).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void halfOpenReopensWhenTheTrialFailureRateReachesTheThreshold() {
        CircuitBreaker b = breaker(base().permittedCallsInHalfOpen(4));
        List<String> events = transitions(b);
        openIt(b);
        ticker.advance(Duration.ofSeconds(10));
        succeed(b, 2);
        fail(b, 1);
        assertThat(b.state()).isEqualTo(CircuitState.HALF_OPEN);
        fail(b, 1); // 2/4 = 0.5
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();

        ticker.advance(Duration.ofSeconds(10));
        succeed(b, 3);
        fail(b, 1); // 1/4 < 0.5
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(events).containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->OPEN",
            "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }

    @Test
    void releasedTrialPermitsCanBeTakenAgain() {
        CircuitBreaker b = breaker(base().permittedCallsInHalfOpen(1));
        openIt(b);
        ticker.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isFalse();
        b.releasePermission();
        b.releasePermission(); // more releases than grants do not add trials
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isFalse();
        b.onSuccess(-1);
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void outcomesOfCallsThatEndWhileOpenAreIgnored() {
        CircuitBreaker b = breaker(base());
        openIt(b);
        b.onFailure(-1, BOOM);
        b.onSuccess(-1);
        assertThat(b.metrics().callsInWindow()).isEqualTo(6);
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void countsSlowCallsWhenConfigured() {
        CircuitBreaker b = breaker(base().failureRateThreshold(1.0).minimumCalls(4)
            .slowCalls(Duration.ofSeconds(1), 0.5));
        assertThat(b.needsTiming()).isTrue();
        long fast = Duration.ofSeconds(1).minusNanos(1).toNanos();
        long slow = Duration.ofSeconds(1).toNanos();
        b.onSuccess(fast);
        b.onSuccess(-1); // untimed: not slow
        b.onSuccess(slow);
        assertThat(b.metrics().slowCalls()).isEqualTo(1);
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        b.onFailure(slow, BOOM); // 2 slow of 4 (and 1 failure of 4)
        assertThat(b.metrics().slowCalls()).isEqualTo(2);
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void slowCallsDoNotCountWithoutAThreshold() {
        CircuitBreaker b = breaker(base().failureRateThreshold(1.0).minimumCalls(4));
        assertThat(b.needsTiming()).isFalse();
        for (int i = 0; i < 10; i++) {
            b.onSuccess(Duration.ofHours(1).toNanos());
        }
        assertThat(b.metrics().slowCalls()).isZero();
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void slowTrialsReopen() {
        CircuitBreaker b = breaker(base().permittedCallsInHalfOpen(2).slowCalls(Duration.ofMillis(100), 0.5));
        openIt(b);
        ticker.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquirePermission()).isTrue();
        b.onSuccess(Duration.ofMillis(100).toNanos());
        assertThat(b.tryAcquirePermission()).isTrue();
        b.onSuccess(Duration.ofMillis(1).toNanos());
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void emitsEachTransitionWithTheOpenDurationAndTheFailure() {
        CircuitBreaker b = breaker(base());
        List<ResilienceEvent> events = new ArrayList<>();
        b.events().register(events::add);
        openIt(b);
        assertThat(events).hasSize(1);
        ResilienceEvent e = events.get(0);
        assertThat(e.type()).isEqualTo(EventType.BREAKER_TRANSITION);
        assertThat(e.policyName()).isEqualTo("test");
        assertThat(e.detail()).isEqualTo("CLOSED->OPEN");
        assertThat(e.delay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(e.failure()).isSameAs(BOOM);
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(events).hasSize(2);
        assertThat(events.get(1).type()).isEqualTo(EventType.BREAKER_REJECTED);
        assertThat(events.get(1).delay()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void timeWindowForgetsCallsOlderThanTheWindow() {
        CircuitBreakerBuilder cfg = base().timeWindow(Duration.ofSeconds(10)).minimumCalls(4);
        CircuitBreaker expired = breaker(cfg);
        CircuitBreaker kept = breaker(cfg);
        fail(expired, 3);
        fail(kept, 3);
        ticker.advance(Duration.ofSeconds(9));
        succeed(kept, 1); // 3 failures of 4 within 10 s
        assertThat(kept.state()).isEqualTo(CircuitState.OPEN);
        ticker.advance(Duration.ofSeconds(1));
        succeed(expired, 1); // the failures are 10 s old: gone
        assertThat(expired.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(expired.metrics().callsInWindow()).isEqualTo(1);
        assertThat(expired.metrics().failedCalls()).isZero();
        fail(expired, 2);
        assertThat(expired.state()).isEqualTo(CircuitState.CLOSED); // 2/3, below minimum
        fail(expired, 1);
        assertThat(expired.state()).isEqualTo(CircuitState.OPEN); // 3/4
    }

    @Test
    void timeWindowExpiresBucketByBucket() {
        CircuitBreaker b = breaker(base().timeWindow(Duration.ofSeconds(10)).minimumCalls(100));
        fail(b, 2); // t = 0
        ticker.advance(Duration.ofSeconds(5));
        fail(b, 3); // t = 5 s
        ticker.advance(Duration.ofMillis(4_999));
        assertThat(b.metrics().callsInWindow()).isEqualTo(5);
        ticker.advance(Duration.ofMillis(1)); // t = 10 s: first two gone
        assertThat(b.metrics().callsInWindow()).isEqualTo(3);
        ticker.advance(Duration.ofSeconds(5)); // t = 15 s
        assertThat(b.metrics().callsInWindow()).isZero();
        ticker.advance(Duration.ofDays(3));
        fail(b, 1);
        assertThat(b.metrics().callsInWindow()).isEqualTo(1);
    }

    @Test
    void openDurationGrowsOnEachConsecutiveReopenAndResetsOnClose() {
        CircuitBreaker b = breaker(base().permittedCallsInHalfOpen(1)
            .openDurationGrowth(2.0, Duration.ofSeconds(35)));
        List<ResilienceEvent> events = new ArrayList<>();
        b.events().register(e -> {
            if (e.detail().endsWith("->OPEN")) {
                events.add(e);
            }
        });
        openIt(b);
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(10));
        ticker.advance(Duration.ofSeconds(10));
        fail(b, 1);
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(20));
        ticker.advance(Duration.ofSeconds(20).minusNanos(1));
        assertThat(b.tryAcquirePermission()).isFalse();
        ticker.advanceNanos(1);
        fail(b, 1);
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(35)); // 40 s capped
        assertThat(b.metrics().consecutiveOpens()).isEqualTo(3);
        ticker.advance(Duration.ofSeconds(35));
        succeed(b, 1);
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(b.metrics().consecutiveOpens()).isZero();
        openIt(b);
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(events).extracting(ResilienceEvent::delay).containsExactly(Duration.ofSeconds(10),
            Duration.ofSeconds(20), Duration.ofSeconds(35), Duration.ofSeconds(10));
    }

    @Test
    void manualTransitions() {
        CircuitBreaker b = breaker(base());
        List<String> events = transitions(b);
        b.transitionToOpen();
        b.transitionToOpen(); // already open: nothing
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();
        b.forceOpen();
        assertThat(b.state()).isEqualTo(CircuitState.FORCED_OPEN);
        ticker.advance(Duration.ofDays(30));
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.remainingOpenTime()).isZero();
        b.transitionToClosed();
        assertThat(b.tryAcquirePermission()).isTrue();
        fail(b, 3);
        b.reset();
        assertThat(b.metrics()).isEqualTo(new CircuitBreakerMetrics(CircuitState.CLOSED, 0, 0, 0, 0.0, 0.0, 0, 0));
        b.forceOpen();
        b.reset();
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(events).containsExactly("CLOSED->OPEN", "OPEN->FORCED_OPEN", "FORCED_OPEN->CLOSED",
            "CLOSED->FORCED_OPEN", "FORCED_OPEN->CLOSED");
    }

    /** The test's ticker, counting every clock read into {@code reads}. */
    private Ticker countingReads(AtomicLong reads) {
        return new Ticker() {
            @Override
            public long nanoTime() {
                reads.incrementAndGet();
                return ticker.nanoTime();
            }

            @Override
            public long epochMillis() {
                reads.incrementAndGet();
                return ticker.epochMillis();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                ticker.sleepNanos(nanos);
            }
        };
    }

    @Test
    void successPathOfACleanFullWindowReadsNoClockAndAllocatesNothing() {
        AtomicLong clockReads = new AtomicLong();
        Ticker counting = countingReads(clockReads);
        CircuitBreaker b = CircuitBreaker.of(base().countWindow(100).build(), counting);
        fail(b, 1);
        for (int i = 0; i < 200_000; i++) { // fill the window, push the failure out, warm up
            b.tryAcquirePermission();
            b.onSuccess(-1);
        }
        clockReads.set(0);
        com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        int granted = 0;
        for (int i = 0; i < 1_000_000; i++) {
            if (b.tryAcquirePermission()) {
                granted++;
            }
            b.onSuccess(-1);
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertThat(granted).isEqualTo(1_000_000);
        assertThat(clockReads.get()).isZero();
        assertThat(allocated).isLessThan(1_000); // the measuring itself may allocate a few bytes, never per call
        assertThat(b.metrics().callsInWindow()).isEqualTo(100);
        assertThat(b.metrics().failedCalls()).isZero();
    }

    /**
     * With 2% of calls failing, so the window always holds failures: a million calls through a
     * count window read no clock, and through a count or a time window allocate nothing (the
     * failures are recorded under the lock, the successes only counted).
     */
    @Test
    void successPathWithFailuresInTheWindowReadsNoClockInACountWindowAndAllocatesNothing() {
        AtomicLong clockReads = new AtomicLong();
        Ticker counting = countingReads(clockReads);
        CircuitBreaker count = CircuitBreaker.of(base().countWindow(100).minimumCalls(20).build(), counting);
        CircuitBreaker time = CircuitBreaker.of(base().timeWindow(Duration.ofSeconds(10)).minimumCalls(20).build(), ticker);
        com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (CircuitBreaker b : List.of(count, time)) {
            twoPercentFailing(b, 200_000); // fill the window, warm up
            clockReads.set(0);
            long before = mx.getCurrentThreadAllocatedBytes();
            int granted = twoPercentFailing(b, 1_000_000);
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertThat(granted).isEqualTo(1_000_000);
            assertThat(allocated).as(b.config().windowType() + " window").isLessThan(1_000);
            assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
            assertThat(b.metrics().failedCalls()).isPositive();
        }
        assertThat(clockReads.get()).isZero(); // the count window's pass
        assertThat(count.metrics().callsInWindow()).isEqualTo(100);
        assertThat(count.metrics().failedCalls()).isEqualTo(2);
        assertThat(time.metrics().callsInWindow()).isEqualTo(1_200_000);
        assertThat(time.metrics().failedCalls()).isEqualTo(24_000);
    }

    private static int twoPercentFailing(CircuitBreaker b, int calls) {
        int granted = 0;
        for (int i = 1; i <= calls; i++) {
            if (b.tryAcquirePermission()) {
                granted++;
            }
            if (i % 50 == 0) {
                b.onFailure(-1, BOOM);
            } else {
                b.onSuccess(-1);
            }
        }
        return granted;
    }
}
