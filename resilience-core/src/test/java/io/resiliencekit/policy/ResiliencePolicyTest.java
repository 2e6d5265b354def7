package io.resiliencekit.policy;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CheckedSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ResiliencePolicyTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<ResilienceEvent> events = new ArrayList<>();

    private ResiliencePolicyBuilder policy(RetryConfig retry) {
        return ResiliencePolicy.builder("test").retry(retry).ticker(ticker).listener(events::add);
    }

    private static RetryConfig noJitter(int attempts) {
        return RetryConfig.builder().maxAttempts(attempts)
            .backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10)).jitter(Jitter.NONE).noBudget().build();
    }

    /** Fails the first {@code k} attempts with the given failure, then returns the attempt number. */
    private static CheckedSupplier<Integer> failingFirst(int k, AtomicInteger attempts, Exception failure) {
        return TestActions.failingFirst(k, attempts, failure);
    }

    @Test
    void firstTrySuccessCountsOnceAndSleepsNever() {
        ResiliencePolicy p = policy(noJitter(3)).build();
        assertThat(p.call(() -> "ok")).isEqualTo("ok");
        assertThat(p.metrics().calls()).isEqualTo(1);
        assertThat(p.metrics().attempts()).isEqualTo(1);
        assertThat(ticker.sleptNanos()).isZero();
        assertThat(events).isEmpty();
    }

    @Test
    void transientFailuresAreRetriedWithExponentialDelays() {
        ResiliencePolicy p = policy(noJitter(5)).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(p.call(failingFirst(3, attempts, new SocketTimeoutException("slow")))).isEqualTo(4);
        assertThat(events).extracting(ResilienceEvent::type).containsExactly(EventType.RETRY, EventType.RETRY, EventType.RETRY);
        assertThat(events).extracting(ResilienceEvent::delay)
            .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofMillis(700).toNanos());
        assertThat(p.metrics().attempts()).isEqualTo(4);
        assertThat(p.metrics().retries()).isEqualTo(3);
        assertThat(p.metrics().succeeded()).isEqualTo(1);
    }

    @Test
    void permanentFailuresAreTriedOnce() {
        ResiliencePolicy p = policy(noJitter(5)).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> p.call(failingFirst(99, attempts, new HttpStatusException(400, null, "POST /x"))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> {
                assertThat(e.attempts()).isEqualTo(1);
                assertThat(e.failureKind()).isEqualTo(FailureKind.PERMANENT);
                assertThat(e.reason()).isEqualTo("permanent");
                assertThat(e.getCause()).isInstanceOf(HttpStatusException.class);
            });
        assertThat(attempts).hasValue(1);
        assertThat(events).extracting(ResilienceEvent::type).containsExactly(EventType.GIVE_UP);
    }

    @Test
    void givesUpAfterMaxAttemptsWithTheLastFailureAsCause() {
        ResiliencePolicy p = policy(noJitter(3)).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> p.call(failingFirst(99, attempts, new IOException("reset"))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> {
                assertThat(e.attempts()).isEqualTo(3);
                assertThat(e.reason()).isEqualTo("max attempts");
                assertThat(e.getCause()).hasMessage("reset");
            });
        assertThat(attempts).hasValue(3);
        assertThat(p.metrics().failed()).isEqualTo(1);
    }

    @Test
    void abortConditionsStopAtOnce() {
        RetryConfig retry = RetryConfig.builder().maxAttempts(5).abortOn(IllegalStateException.class).noBudget().build();
        ResiliencePolicy p = policy(retry).classifier(FailureClassifier.builder()
            .transientOn(IllegalStateException.class).build()).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> p.call(failingFirst(99, attempts, new IllegalStateException("stop"))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.reason()).isEqualTo("aborted"));
        assertThat(attempts).hasValue(1);
    }

    @Test
    void deadlineStopsRetriesThatWouldStartTooLate() {
        RetryConfig retry = RetryConfig.builder().maxAttempts(100).maxDuration(Duration.ofSeconds(1))
            .backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10)).jitter(Jitter.NONE).noBudget().build();
        ResiliencePolicy p = policy(retry).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> p.call(failingFirst(99, attempts, new IOException("down"))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.reason()).isEqualTo("deadline"));
        // delays 100, 200, 400 (700 ms in all); the next (800 ms) would end past 1 s
        assertThat(attempts).hasValue(4);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofMillis(700).toNanos());
    }

    @Test
    void retryAfterSecondsWinsOverBackoffOnTheInjectedClock() {
        ResiliencePolicy p = policy(noJitter(3)).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(p.call(failingFirst(1, attempts, new HttpStatusException(429, "2", "POST /x")))).isEqualTo(2);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(events).extracting(ResilienceEvent::type).containsExactly(EventType.THROTTLED, EventType.RETRY);
        assertThat(p.metrics().throttled()).isEqualTo(1);
    }

    @Test
    void retryAfterHttpDateIsHonouredAgainstTheTickersWallClock() {
        ResiliencePolicy p = policy(noJitter(3)).build();
        String in3s = DateTimeFormatter.RFC_1123_DATE_TIME.format(
            Instant.ofEpochMilli(ticker.epochMillis() + 3_000).atZone(ZoneOffset.UTC));
        AtomicInteger attempts = new AtomicInteger();
        assertThat(p.call(failingFirst(1, attempts, new HttpStatusException(503, in3s, "POST /x")))).isEqualTo(2);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofSeconds(3).toNanos());
    }

    @Test
    void retryAfterIsCapped() {
        RetryConfig retry = RetryConfig.builder().maxAttempts(3).retryAfterCap(Duration.ofSeconds(30)).noBudget().build();
        ResiliencePolicy p = policy(retry).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(p.call(failingFirst(1, attempts, new HttpStatusException(429, "3600", "POST /x")))).isEqualTo(2);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
    }

    @Test
    void aSeededPolicyReproducesItsDelaySequence() {
        List<Duration> first = delaysOf(7L);
        List<Duration> second = delaysOf(7L);
        List<Duration> other = delaysOf(8L);
        assertThat(first).hasSize(40).isEqualTo(second);
        assertThat(other).hasSize(40).isNotEqualTo(first);
    }

    private List<Duration> delaysOf(long seed) {
        List<Duration> delays = new ArrayList<>();
        ResiliencePolicy p = ResiliencePolicy.builder("seeded").ticker(new ManualTicker())
            .retry(RetryConfig.builder().maxAttempts(5).jitter(Jitter.DECORRELATED).seed(seed).noBudget().build())
            .listener(e -> {
                if (e.type() == EventType.RETRY) {
                    delays.add(e.delay());
                }
            }).build();
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> p.call(() -> {
                throw new IOException("down");
            })).isInstanceOf(CallFailedException.class);
        }
        return delays;
    }

    @Test
    void resultsCanBeFailures() {
        ResiliencePolicy p = policy(noJitter(3))
            .classifier(FailureClassifier.builder().failureIfResult((Integer s) -> s >= 500).build()).build();
        AtomicInteger n = new AtomicInteger();
        assertThat(p.call(() -> n.incrementAndGet() < 3 ? 503 : 200)).isEqualTo(200);
        assertThat(n).hasValue(3);
    }

    @Test
    void anInterruptEndsTheBackoffWaitAtOnce() throws Exception {
        CountDownLatch sleeping = new CountDownLatch(1);
        Ticker slowSleeper = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long epochMillis() {
                return System.currentTimeMillis();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                sleeping.countDown();
                Ticker.system().sleepNanos(nanos);
            }
        };
        ResiliencePolicy p = ResiliencePolicy.builder("interruptible").ticker(slowSleeper)
            .retry(RetryConfig.builder().maxAttempts(3).backoff(Duration.ofMinutes(10), 2, Duration.ofMinutes(10))
                .jitter(Jitter.NONE).noBudget().build()).build();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flagKept = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                p.call(() -> {
                    throw new IOException("down");
                });
            } catch (Throwable e) {
                thrown.set(e);
                flagKept.set(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        assertThat(sleeping.await(10, TimeUnit.SECONDS)).isTrue();
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(t.isAlive()).as("still waiting out a 10 minute backoff").isFalse();
        assertThat(thrown.get()).isInstanceOfSatisfying(CallFailedException.class,
            e -> assertThat(e.reason()).isEqualTo("interrupted"));
        assertThat(flagKept.get()).isTrue();
    }

    @Test
    void asyncCallsRetryOnTheSameDecisions() throws Exception {
        ResiliencePolicy p = policy(noJitter(4)).build();
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<Integer> f = p.callAsync(CallContext.NONE,
            failingFirst(2, attempts, new IOException("reset")), Runnable::run);
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofMillis(300).toNanos());

        AtomicInteger permanent = new AtomicInteger();
        CompletableFuture<Integer> g = p.callStage(CallContext.NONE, () -> {
            permanent.incrementAndGet();
            return CompletableFuture.failedFuture(new HttpStatusException(404, null, "GET /x"));
        }, Runnable::run);
        assertThat(g).isCompletedExceptionally();
        assertThat(permanent).hasValue(1);
    }

    @Test
    void aCallerBehavesLikeThePolicyAndFlushesItsCounts() {
        ResiliencePolicy p = policy(noJitter(3)).build();
        AtomicInteger attempts = new AtomicInteger();
        try (ResiliencePolicy.Caller caller = p.caller()) {
            for (int i = 0; i < 2_000; i++) {
                assertThat(caller.call(() -> "ok")).isEqualTo("ok");
            }
            assertThat(p.metrics().calls()).as("flushed every 1024 calls").isEqualTo(1024);
            assertThat(caller.call(failingFirst(1, attempts, new IOException("reset")))).isEqualTo(2);
            assertThat(p.metrics().retries()).isEqualTo(1);
        }
        assertThat(p.metrics().calls()).isEqualTo(2_001);
        assertThat(p.metrics().succeeded()).isEqualTo(2_001);
        assertThat(p.metrics().attempts()).isEqualTo(2_002);
    }

    @Test
    void noRetryMeansOneAttempt() {
        ResiliencePolicy p = ResiliencePolicy.builder("once").noRetry().ticker(ticker).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> p.call(failingFirst(1, attempts, new IOException("x"))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.attempts()).isEqualTo(1));
        assertThat(attempts).hasValue(1);
    }

    @Test
    void registryGivesOneRuntimePerName() {
        ResilienceRuntime registry = ResilienceRuntime.builder().ticker(ticker).build();
        ResiliencePolicyConfig config = ResiliencePolicy.builder("shared").config();
        assertThat(registry.policy(config)).isSameAs(registry.policy(config));
        ResiliencePolicy before = registry.policy(config);
        assertThat(registry.replace(config)).isNotSameAs(before).isSameAs(registry.find("shared").orElseThrow());
    }
}
