package io.resiliencekit.spark.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.CircuitState;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.testing.InProcessCoordinator;
import io.resiliencekit.time.ManualTicker;

/** Two "JVMs" (board clients) sharing one driver board, on virtual time and without Spark. */
class ExecutorBreakerBoardTest {

    final ManualTicker ticker = new ManualTicker(5_000_000L);
    final DriverServices services = new DriverServices(new MetricRegistry());
    final DriverBreakerBoard board = DriverBreakerBoard.install(services, PluginOptions.defaults(), ticker);
    final CircuitBreakerConfig config = CircuitBreakerConfig.builder("api")
            .countWindow(4).minimumCalls(2).failureRateThreshold(0.5)
            .openDuration(Duration.ofSeconds(1)).permittedCallsInHalfOpen(2).build();

    ExecutorBreakerBoard client(String id) {
        return new ExecutorBreakerBoard(new InProcessCoordinator(services, id), PluginOptions.fromOptions(Map.of()), true);
    }

    CircuitBreaker breaker(ExecutorBreakerBoard c) {
        CircuitBreaker b = CircuitBreaker.of(config, ticker);
        b.bindBoard(c);
        return b;
    }

    @Test
    void oneJvmsVerdictOpensTheOtherAndOnlyOneJvmRunsTheTrials() {
        ExecutorBreakerBoard ca = client("a");
        ExecutorBreakerBoard cb = client("b");
        CircuitBreaker a = breaker(ca);
        CircuitBreaker b = breaker(cb);

        assertThat(a.tryAcquirePermission()).isTrue();
        a.onFailure(-1, new IOException("down"));
        assertThat(a.tryAcquirePermission()).isTrue();
        a.onFailure(-1, new IOException("down"));
        assertThat(a.state()).isEqualTo(CircuitState.OPEN);
        assertThat(board.snapshot("api").state()).isEqualTo(CircuitState.OPEN);

        assertThat(b.tryAcquirePermission()).as("b has not polled yet").isTrue();
        b.releasePermission();
        cb.pollOnce();
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();

        ticker.advance(Duration.ofSeconds(1));
        assertThat(a.tryAcquirePermission()).as("first ask fetches trial permits, refused meanwhile").isFalse();
        assertThat(a.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).as("a owns the trials").isFalse();
        assertThat(a.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(board.snapshot("api").trialsGranted()).isEqualTo(2);

        a.onSuccess(-1);
        a.onSuccess(-1);
        assertThat(a.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(board.snapshot("api").state()).isEqualTo(CircuitState.CLOSED);
        cb.pollOnce();
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(b.tryAcquirePermission()).isTrue();
    }

    @Test
    void aFailedTrialReopensEverywhere() {
        ExecutorBreakerBoard ca = client("a");
        ExecutorBreakerBoard cb = client("b");
        CircuitBreaker a = breaker(ca);
        CircuitBreaker b = breaker(cb);
        b.transitionToOpen();
        ca.pollOnce();
        assertThat(a.state()).isEqualTo(CircuitState.OPEN);

        ticker.advance(Duration.ofSeconds(1));
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isTrue();
        b.onFailure(-1, new IOException("still down"));
        b.onFailure(-1, new IOException("still down"));
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        ca.pollOnce();
        assertThat(a.tryAcquirePermission()).isFalse();
        assertThat(a.remainingOpenTime()).isGreaterThan(Duration.ofMillis(900));
        assertThat(board.snapshot("api").version()).isGreaterThanOrEqualTo(2);
    }
}
