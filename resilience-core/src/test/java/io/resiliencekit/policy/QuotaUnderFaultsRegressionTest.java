package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.FailureKind;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.Classification;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.classify.RetryAfter;
import io.resiliencekit.event.EventType;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.time.ManualTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, defects 1, 3, 4 and 5 (the core side): what took the quota from a pipeline that uses the
 * documented defaults. Virtual time ({@link ManualTicker}), seeded jitter, no real sleeps.
 */
class QuotaUnderFaultsRegressionTest {

    private final ManualTicker ticker = new ManualTicker();

    /**
     * Defect 1: two tasks of one executor JVM share the policy, each through its own Caller. One
     * partition is healthy, the other needs a retry for one call in ten. Settings: the default retry
     * budget (ratio 0.2, reserve 50), 3 attempts, no waits that matter. Plain policy.call, which
     * counts every call at once, never runs the budget dry with this mix (one retry per ten calls is
     * half the ratio); the callers must not either. Before the fix, the healthy caller's successes
     * reached the budget 1,024 at a time and the reserve cap threw most of them away.
     */
    @Test
    void Q1_budgetSeesTheCallersCalls() {
        assertThat(budgetRejections(false)).as("plain policy.call").isZero();
        assertThat(budgetRejections(true)).as("two callers, one per task thread").isZero();
    }

    private long budgetRejections(boolean callers) {
        ResiliencePolicy p = ResiliencePolicy.builder("q1-" + callers).ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(3).seed(1L).build()).build();
        ResiliencePolicy.Caller healthy = p.caller();
        ResiliencePolicy.Caller flaky = p.caller();
        for (int step = 0; step < 3_000; step++) {
            for (int i = 0; i < 9; i++) {
                if (callers) {
                    healthy.call(() -> "ok");
                } else {
                    p.call(() -> "ok");
                }
            }
            AtomicInteger attempts = new AtomicInteger();
            try {
                if (callers) {
                    flaky.call(TestActions.failingFirst(1, attempts, new IOException("reset")));
                } else {
                    p.call(TestActions.failingFirst(1, attempts, new IOException("reset")));
                }
            } catch (CallFailedException e) {
                assertThat(e.reason()).isEqualTo("retry budget");
            }
        }
        healthy.close();
        flaky.close();
        assertThat(p.metrics().calls()).isEqualTo(30_000);
        return p.metrics().budgetRejections();
    }

    /**
     * Defect 3: a throttle hint acts twice, on the retry delay and on the limiter's pause, and the
     * cap must hold for both. A policy with retry settings caps both by its retryAfterCap (this part
     * already held on main); a policy without retry settings must not pause the JVM's limiter for as
     * long as the server likes (an hour here): the default cap (10 s) applies.
     */
    @Test
    void Q3_throttleHintsAreCappedWhereverTheyAct() {
        ResiliencePolicy capped = ResiliencePolicy.builder("q3-capped").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(2).retryAfterCap(Duration.ofMillis(100)).noBudget().build())
            .rateLimiter(RateLimiters.local("q3-capped", 1_000, 10)).build();
        AtomicInteger attempts = new AtomicInteger();
        long before = ticker.sleptNanos();
        capped.call(TestActions.failingFirst(1, attempts, new HttpStatusException(429, "1", "POST /orders")));
        assertThat(ticker.sleptNanos() - before).as("retry delay").isLessThanOrEqualTo(Duration.ofMillis(101).toNanos());
        ticker.advance(Duration.ofMillis(110));
        assertThat(capped.rateLimiter().orElseThrow().tryAcquire(1)).as("limiter admits again after the cap").isTrue();

        ResiliencePolicy noRetry = ResiliencePolicy.builder("q3-noretry").ticker(ticker).noRetry()
            .rateLimiter(RateLimiters.local("q3-noretry", 1_000, 10)).build();
        Throwable t = catchThrowable(() -> noRetry.call(() -> {
            throw new HttpStatusException(429, "3600", "POST /orders");
        }));
        assertThat(t).isInstanceOf(CallFailedException.class);
        RateLimiter limiter = noRetry.rateLimiter().orElseThrow();
        assertThat(limiter.tryAcquire(1)).as("paused for the (capped) hint").isFalse();
        ticker.advance(RetryConfig.DEFAULT_RETRY_AFTER_CAP.plusMillis(10));
        assertThat(limiter.tryAcquire(1)).as("admits again after the default cap, not after an hour").isTrue();
    }

    /**
     * Defect 4: a 503 with Retry-After is an outage answer as often as a "slow down"; by default it
     * is transient: the retry waits the hint (capped), and the JVM's limiter is not paused for every
     * other call. A classifier rule on {@link HttpStatusException#status()} makes it throttling.
     */
    @Test
    void Q4_a503IsThrottlingOnlyWhenTheClassifierSaysSo() {
        ResiliencePolicy byDefault = ResiliencePolicy.builder("q4-default").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(2).noBudget().build())
            .rateLimiter(RateLimiters.local("q4-default", 1_000, 10)).build();
        HttpStatusException unavailable = new HttpStatusException(503, "1", "POST /orders");
        assertThat(FailureClassifier.defaults().classify(unavailable, ticker.epochMillis()).kind())
            .isEqualTo(FailureKind.TRANSIENT);
        long before = ticker.sleptNanos();
        byDefault.call(TestActions.failingFirst(1, new AtomicInteger(), unavailable));
        assertThat(ticker.sleptNanos() - before).as("the hint still sets the retry delay").isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(byDefault.metrics().throttled()).isZero();
        assertThat(byDefault.rateLimiter().orElseThrow().tryAcquire(1)).as("limiter not paused").isTrue();

        ResiliencePolicy shedding = ResiliencePolicy.builder("q4-rule").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(2).noBudget().build())
            .classifier(FailureClassifier.builder()
                .rule((e, now) -> e instanceof HttpStatusException h && h.status() == 503 && h.retryAfter() != null
                    ? Classification.throttled(RetryAfter.parse(h.retryAfter(), now).orElse(null)) : null)
                .build())
            .rateLimiter(RateLimiters.local("q4-rule", 1_000, 10)).build();
        Throwable t = catchThrowable(() -> shedding.call(() -> {
            throw unavailable;
        }));
        assertThat(t).isInstanceOfSatisfying(CallFailedException.class,
            e -> assertThat(e.failureKind()).isEqualTo(FailureKind.THROTTLED));
        assertThat(shedding.metrics().throttled()).isEqualTo(2);
        assertThat(shedding.rateLimiter().orElseThrow().tryAcquire(1)).as("limiter paused by the rule").isFalse();
    }

    /**
     * Defect 5: with the default breaker, a 3 s outage must open it within about a second, even for
     * the slowest caller a pipeline has (one task, one call at a time, each failed record retried with
     * the default backoff), and the job must call again soon after the outage ends. Before the fix
     * (100-call window, open 60 s) it opened after about 2.5 s and stayed open for a minute.
     * Settings: all defaults but a seed; each attempt takes 2.5 ms (400 calls/s when healthy).
     */
    @Test
    void Q5_theDefaultBreakerOpensWithinASecondOfAFullOutageAndClosesSoonAfter() {
        ResiliencePolicy p = ResiliencePolicy.builder("q5").ticker(ticker)
            .retry(RetryConfig.builder().seed(5L).build())
            .circuitBreaker(CircuitBreakerConfig.builder("q5").build()).build();
        long[] opened = {-1};
        p.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION && e.detail().endsWith("OPEN") && opened[0] < 0) {
                opened[0] = ticker.nanoTime();
            }
        });
        long start = ticker.nanoTime();
        long outageFrom = start + Duration.ofSeconds(10).toNanos();
        long outageTo = outageFrom + Duration.ofSeconds(3).toNanos();
        long firstSuccessAfter = -1;
        while (firstSuccessAfter < 0 && ticker.nanoTime() - start < Duration.ofSeconds(120).toNanos()) {
            try {
                p.call(() -> {
                    ticker.advance(Duration.ofNanos(2_500_000));
                    long now = ticker.nanoTime();
                    if (now >= outageFrom && now < outageTo) {
                        throw new IOException("connection refused");
                    }
                    return "ok";
                });
                if (ticker.nanoTime() >= outageTo) {
                    firstSuccessAfter = ticker.nanoTime();
                }
            } catch (CircuitOpenException e) {
                // what the partition helpers do: wait for the breaker (at most 1 s at a time), then call again
                ticker.advance(e.retryAfter().isZero() ? Duration.ofMillis(50)
                    : e.retryAfter().compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : e.retryAfter());
            } catch (CallFailedException e) {
                // the record gave up; the next one comes
            }
        }
        assertThat(opened[0]).as("opened").isPositive();
        assertThat(Duration.ofNanos(opened[0] - outageFrom)).as("time to open").isLessThanOrEqualTo(Duration.ofMillis(1_500));
        assertThat(Duration.ofNanos(firstSuccessAfter - outageTo)).as("first success after the outage")
            .isPositive().isLessThanOrEqualTo(Duration.ofSeconds(3));
    }
}
