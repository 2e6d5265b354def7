package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CircuitState;
import io.resiliencekit.RateLimitedException;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.event.EventType;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.InProgressMode;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The runtime defects of issue 13 that live in the call engine (B1, B2, B3, B6, L1, J1), each named
 * after its item. Settings per test: the smallest that make the defect visible, stated inline.
 */
class RuntimeDefectsTest {

    private final ManualTicker ticker = new ManualTicker();

    private static FailureClassifier lengthOver2() {
        return FailureClassifier.builder().failureIfResult((String s) -> s.length() > 2).build(); // NPE on null
    }

    @Test
    void B1_aResultCheckThatThrows_isACallFailedException_notARawNullPointerException() {
        ResiliencePolicy p = ResiliencePolicy.builder("b1-closed").ticker(ticker).classifier(lengthOver2()).build();
        assertThatThrownBy(() -> p.call(() -> (String) null))
            .isInstanceOfSatisfying(CallFailedException.class, e -> {
                assertThat(e.reason()).isEqualTo("result check failed");
                assertThat(e.attempts()).as("a bug of ours is not retried").isEqualTo(1);
                assertThat(e.getCause()).isInstanceOf(NullPointerException.class);
            });
    }

    @Test
    void B1_aResultCheckThatThrowsDuringAHalfOpenTrial_doesNotLockTheBreakerForever() {
        ResiliencePolicy p = ResiliencePolicy.builder("b1-half").ticker(ticker).classifier(lengthOver2())
            .circuitBreaker(CircuitBreakerConfig.builder("b1-half").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).build()).build();
        p.circuitBreaker().orElseThrow().transitionToOpen();
        ticker.advance(Duration.ofSeconds(1));
        assertThat(catchThrowable(() -> p.call(() -> (String) null))).isInstanceOf(CallFailedException.class);
        ticker.advance(Duration.ofSeconds(2)); // a re-open lasts twice as long (the default growth)
        assertThat(p.call(() -> "ok")).as("a later trial is let through").isEqualTo("ok");
        assertThat(p.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void B2_anInterruptedExceptionFromTheAction_endsTheCallWithTheInterruptFlagSet() {
        ResiliencePolicy p = ResiliencePolicy.builder("b2-action").ticker(ticker).build();
        AtomicInteger attempts = new AtomicInteger();
        try {
            assertThatThrownBy(() -> p.call(() -> {
                attempts.incrementAndGet();
                throw new InterruptedException("task killed");
            })).isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.reason()).isEqualTo("interrupted"));
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            assertThat(attempts).hasValue(1);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void B2_anInterruptWhileWaitingForAnotherHolderOfTheKey_keepsTheInterruptFlag() {
        Ticker interruptingSleeper = TestActions.sleeping(ticker, nanos -> {
            throw new InterruptedException("task killed while waiting");
        });
        try (ResilienceRuntime r = ResilienceRuntime.builder().ticker(interruptingSleeper).build()) {
            IdempotencyConfig idem = IdempotencyConfig.builder().memory("b2").inProgress(InProgressMode.WAIT).build();
            ResiliencePolicy p = r.policy(ResiliencePolicy.builder("b2-wait").idempotency(idem).config());
            idem.store(r).claim("b2:run-1:k", null, "another-holder", Duration.ofMinutes(5));
            try {
                assertThatThrownBy(() -> p.call(CallContext.ofKey("b2:run-1:k"), () -> "never"))
                    .isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.reason()).isEqualTo("interrupted"));
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            } finally {
                Thread.interrupted();
            }
        }
    }

    @Test
    void B3_callAsync_neverRetriesAnOutOfMemoryError() {
        ResiliencePolicy p = ResiliencePolicy.builder("b3").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(5).noBudget().build()).build();
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<Object> f = p.callAsync(CallContext.NONE, () -> {
            attempts.incrementAndGet();
            throw new OutOfMemoryError("simulated");
        }, Runnable::run);
        assertThat(catchThrowable(f::join)).hasRootCauseInstanceOf(OutOfMemoryError.class);
        assertThat(attempts).hasValue(1);
        assertThat(p.metrics().failed()).isEqualTo(1);
    }

    @Test
    void B6_countersAddUp_aFirstAttemptRateLimitRefusalIsACall_andAnErrorOnARetryIsAFailure() {
        // a limiter of 1 permit that never waits: the second call is refused at its first attempt
        ResiliencePolicy limited = ResiliencePolicy.builder("b6-limit").ticker(ticker)
            .rateLimiter(RateLimiters.local("b6-limit", 0.001, 1)).rateLimitMaxWait(Duration.ZERO).build();
        limited.call(() -> "ok");
        assertThat(catchThrowable(() -> limited.call(() -> "refused"))).isInstanceOf(RateLimitedException.class);
        assertThat(limited.metrics().calls()).isEqualTo(2);
        assertThat(limited.metrics().succeeded()).isEqualTo(1);
        assertThat(limited.metrics().failed()).isEqualTo(1);

        ResiliencePolicy p = ResiliencePolicy.builder("b6-error").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(3).noBudget().build()).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(catchThrowable(() -> p.call(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("reset");
            }
            throw new StackOverflowError("on the retry");
        }))).isInstanceOf(StackOverflowError.class);
        assertThat(p.metrics().calls()).isEqualTo(1);
        assertThat(p.metrics().failed()).as("an Error ends the call as a failure").isEqualTo(1);
        assertThat(p.metrics().calls()).isEqualTo(p.metrics().succeeded() + p.metrics().failed());
        assertThat(p.metrics().attempts()).isEqualTo(2);
    }

    @Test
    void L1_theLatencyOfARetriedCall_includesItsRetries() {
        // one retry after exactly 200 ms on the virtual clock; the attempts themselves take no time
        ResiliencePolicy p = ResiliencePolicy.builder("l1").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(2).backoff(Duration.ofMillis(200), 1.0, Duration.ofMillis(200))
                .jitter(Jitter.NONE).noBudget().build()).build();
        AtomicInteger attempts = new AtomicInteger();
        p.call(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("reset");
            }
            return "ok";
        });
        // the histogram is accurate to about 25%
        assertThat(p.metrics().snapshot().get("latencyP99Micros")).isGreaterThanOrEqualTo(150_000L);
    }

    @Test
    void J1_aSeedReproducesInOneRuntime_butEachClusterMemberDrawsItsOwnDelays() {
        assertThat(delays("member-1")).as("same member, same seed: reproducible").isEqualTo(delays("member-1"));
        assertThat(delays("member-1")).as("another member, same seed in its options").isNotEqualTo(delays("member-2"));
    }

    private List<Duration> delays(String member) {
        List<Duration> delays = new ArrayList<>();
        ResiliencePolicyConfig config = ResiliencePolicy.builder("j1")
            .retry(RetryConfig.builder().maxAttempts(5).jitter(Jitter.FULL).seed(42L).noBudget().build()).config();
        try (ResilienceRuntime r = ResilienceRuntime.builder().ticker(new ManualTicker())
            .cluster(new EngineRegressionTest.TestCluster(ticker, member)).build()) {
            ResiliencePolicy p = r.policy(config);
            p.events().register(e -> {
                if (e.type() == EventType.RETRY) {
                    delays.add(e.delay());
                }
            });
            for (int i = 0; i < 3; i++) {
                catchThrowable(() -> p.call(() -> {
                    throw new IOException("down");
                }));
            }
        }
        return delays;
    }
}
