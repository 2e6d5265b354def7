package io.resiliencekit.failsafe;

import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.breaker.CircuitBreakerBuilder;
import io.resiliencekit.breaker.CircuitBreakerConfig;

import io.resiliencekit.CircuitState;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CircuitBreakerPolicyTest {

    private final ManualTicker ticker = new ManualTicker();

    private CircuitBreaker breaker(CircuitBreakerBuilder b) {
        return CircuitBreaker.of(b.build(), ticker);
    }

    @Test
    void failsafeRetriesStopAtTheOpenBreakerWithoutCallingAgain() {
        CircuitBreaker breaker = breaker(CircuitBreakerConfig.builder("fs").countWindow(10).minimumCalls(3)
            .openDuration(Duration.ofSeconds(10)));
        RetryPolicy<Object> retry = RetryPolicy.builder().withMaxRetries(10)
            .abortOn(CircuitOpenException.class).build();
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> Failsafe.with(retry, CircuitBreakerPolicy.of(breaker)).get(() -> {
            calls.incrementAndGet();
            throw new IllegalStateException("down");
        })).isInstanceOf(CircuitOpenException.class)
            .satisfies(e -> assertThat(((CircuitOpenException) e).retryAfter()).isEqualTo(Duration.ofSeconds(10)));
        assertThat(calls.get()).isEqualTo(3);
        assertThat(breaker.state()).isEqualTo(CircuitState.OPEN);
        assertThat(breaker.metrics().notPermittedCalls()).isEqualTo(1);
    }

    @Test
    void successesAndTimedSlowCallsAreRecorded() {
        CircuitBreaker breaker = breaker(CircuitBreakerConfig.builder("fs").countWindow(10).minimumCalls(2)
            .failureRateThreshold(1.0).slowCalls(Duration.ofSeconds(1), 1.0));
        CircuitBreakerPolicy<String> policy = CircuitBreakerPolicy.of(breaker);
        assertThat(Failsafe.with(policy).get(() -> "fast")).isEqualTo("fast");
        assertThat(breaker.metrics().callsInWindow()).isEqualTo(1);
        assertThat(breaker.metrics().slowCalls()).isZero();
        assertThat(Failsafe.with(policy).get(() -> {
            ticker.advance(Duration.ofSeconds(1));
            return "slow";
        })).isEqualTo("slow");
        assertThat(breaker.metrics().slowCalls()).isEqualTo(1);
        assertThat(breaker.state()).isEqualTo(CircuitState.CLOSED); // 1 of 2 slow < 1.0
        Failsafe.with(policy).get(() -> {
            ticker.advance(Duration.ofSeconds(2));
            return "slow";
        });
        assertThat(breaker.metrics().slowCalls()).isEqualTo(2);
        assertThat(breaker.state()).isEqualTo(CircuitState.CLOSED); // 2 of 3
        assertThat(policy.breaker()).isSameAs(breaker);
    }
}
