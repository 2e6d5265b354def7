package io.resiliencekit.policy;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.CircuitOpenException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.CircuitState;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The breaker inside the composed policy: retries stop at an open breaker, and no call is made while open. */
class PolicyWithBreakerTest {

    private final ManualTicker ticker = new ManualTicker();
    private final List<ResilienceEvent> events = new ArrayList<>();
    private final AtomicInteger made = new AtomicInteger();

    private ResiliencePolicy policy() {
        return ResiliencePolicy.builder("dep").ticker(ticker).listener(events::add)
            .retry(RetryConfig.builder().maxAttempts(3).noBudget().build())
            .circuitBreaker(CircuitBreakerConfig.builder("dep").countWindow(10).minimumCalls(4)
                .failureRateThreshold(0.5).permittedCallsInHalfOpen(2).openDuration(Duration.ofSeconds(30)).build())
            .build();
    }

    private CheckedSupplier<String> down() {
        return () -> {
            made.incrementAndGet();
            throw new IOException("connection refused");
        };
    }

    private CheckedSupplier<String> up() {
        return () -> {
            made.incrementAndGet();
            return "ok";
        };
    }

    @Test
    void retriesStopAtTheOpenBreakerAndNothingIsCalledWhileOpen() {
        ResiliencePolicy p = policy();
        // first call: 3 failed attempts; second call: 1 more failure reaches 4 calls at 100% -> OPEN
        assertThatThrownBy(() -> p.call(down())).isInstanceOf(CallFailedException.class);
        assertThatThrownBy(() -> p.call(down())).isInstanceOfSatisfying(CircuitOpenException.class, e -> {
            assertThat(e.attempts()).isEqualTo(1);
            assertThat(e.getCause()).hasMessage("connection refused");
        });
        assertThat(made).hasValue(4);
        assertThat(p.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitState.OPEN);

        for (int i = 0; i < 100; i++) {
            assertThatThrownBy(() -> p.call(up())).isInstanceOf(CircuitOpenException.class);
        }
        assertThat(made).as("no call while open").hasValue(4);
        assertThat(p.metrics().breakerRejections()).isEqualTo(101);
        assertThat(events).as("one event per refused call").filteredOn(e -> e.type() == EventType.BREAKER_REJECTED)
            .hasSize(101);

        ticker.advance(Duration.ofSeconds(30));
        assertThat(p.call(up())).isEqualTo("ok");
        assertThat(p.call(up())).isEqualTo("ok");
        assertThat(p.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitState.CLOSED);
        assertThat(made).hasValue(6);
        assertThat(events).filteredOn(e -> e.type() == EventType.BREAKER_TRANSITION).extracting(ResilienceEvent::detail)
            .containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
    }
}
