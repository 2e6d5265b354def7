package io.resiliencekit.breaker;

import io.resiliencekit.CircuitState;

import io.resiliencekit.spi.BreakerBoard;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BreakerBoardTest {

    private final ManualTicker ticker = new ManualTicker();

    /** A board that records what it was told and lets a test decide about trials. */
    private static final class RecordingBoard implements BreakerBoard {
        final List<String> published = new ArrayList<>();
        final AtomicBoolean grantTrials = new AtomicBoolean(true);
        final AtomicInteger released = new AtomicInteger();

        @Override
        public void publish(String breakerName, CircuitState state, long untilEpochMillis) {
            published.add(breakerName + ":" + state + ":" + untilEpochMillis);
        }

        @Override
        public boolean tryAcquireTrial(String breakerName) {
            return grantTrials.get();
        }

        @Override
        public void releaseTrial(String breakerName) {
            released.incrementAndGet();
        }
    }

    private CircuitBreaker breaker(RecordingBoard board) {
        return CircuitBreaker.of(CircuitBreakerConfig.builder("api").countWindow(4).minimumCalls(4)
            .permittedCallsInHalfOpen(2).openDuration(Duration.ofSeconds(10)).build(), ticker).bindBoard(board);
    }

    @Test
    void publishesLocalTransitionsWithTheEndOfTheOpenPeriod() {
        RecordingBoard board = new RecordingBoard();
        CircuitBreaker b = breaker(board);
        long t0 = ticker.epochMillis();
        for (int i = 0; i < 4; i++) {
            b.onFailure(-1, new RuntimeException());
        }
        ticker.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquirePermission()).isTrue();
        b.onSuccess(-1);
        assertThat(b.tryAcquirePermission()).isTrue();
        b.onSuccess(-1);
        b.forceOpen();
        assertThat(board.published).containsExactly(
            "api:OPEN:" + (t0 + 10_000), "api:HALF_OPEN:0", "api:CLOSED:0", "api:FORCED_OPEN:" + Long.MAX_VALUE);
    }

    @Test
    void remoteOpenVerdictOpensForTheGivenTimeAndIsNotEchoed() {
        RecordingBoard board = new RecordingBoard();
        CircuitBreaker b = breaker(board);
        b.applyRemote(CircuitState.OPEN, Duration.ofSeconds(3));
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(3));
        b.applyRemote(CircuitState.OPEN, Duration.ofSeconds(1)); // shorter: keeps the longer hold
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(3));
        b.applyRemote(CircuitState.HALF_OPEN, Duration.ofSeconds(7)); // trials run elsewhere
        assertThat(b.remainingOpenTime()).isEqualTo(Duration.ofSeconds(7));
        b.applyRemote(CircuitState.CLOSED, Duration.ZERO);
        assertThat(b.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(board.published).isEmpty();
    }

    @Test
    void theBoardCanRefuseLocalTrials() {
        RecordingBoard board = new RecordingBoard();
        CircuitBreaker b = breaker(board);
        b.transitionToOpen();
        ticker.advance(Duration.ofSeconds(10));
        board.grantTrials.set(false);
        assertThat(b.tryAcquirePermission()).isFalse();
        assertThat(b.state()).isEqualTo(CircuitState.HALF_OPEN);
        assertThat(b.tryAcquirePermission()).isFalse();
        board.grantTrials.set(true); // the refused attempts did not use up local trials
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isTrue();
        assertThat(b.tryAcquirePermission()).isFalse();
        b.releasePermission();
        assertThat(board.released.get()).isEqualTo(1);
    }

    @Test
    void aForcedOpenBreakerIsNotDowngradedByARemoteOpen() {
        CircuitBreaker b = breaker(new RecordingBoard());
        b.forceOpen();
        b.applyRemote(CircuitState.OPEN, Duration.ofSeconds(1));
        assertThat(b.state()).isEqualTo(CircuitState.FORCED_OPEN);
    }

    @Test
    void aThrowingBoardDoesNotBreakTheBreaker() {
        CircuitBreaker b = breaker(null).bindBoard((name, state, until) -> {
            throw new IllegalStateException("board down");
        });
        b.transitionToOpen();
        assertThat(b.state()).isEqualTo(CircuitState.OPEN);
    }
}
