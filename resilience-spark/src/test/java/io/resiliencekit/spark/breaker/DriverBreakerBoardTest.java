package io.resiliencekit.spark.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import io.resiliencekit.CircuitState;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.breaker.BoardMessages.Poll;
import io.resiliencekit.spark.breaker.BoardMessages.PollReply;
import io.resiliencekit.spark.breaker.BoardMessages.Publish;
import io.resiliencekit.spark.breaker.BoardMessages.TrialGrant;
import io.resiliencekit.spark.breaker.BoardMessages.TrialRequest;
import io.resiliencekit.spark.breaker.BoardMessages.Verdict;
import io.resiliencekit.time.ManualTicker;

/** The board's rules on virtual time, without Spark. */
class DriverBreakerBoardTest {

    final ManualTicker ticker = new ManualTicker(1_000_000L);
    final MetricRegistry metrics = new MetricRegistry();

    DriverBreakerBoard board(Map<String, String> options) {
        return new DriverBreakerBoard(PluginOptions.fromOptions(options), ticker, metrics);
    }

    @Test
    void anOpenVerdictReachesEveryPollerOnceWithItsRemainingTime() {
        DriverBreakerBoard b = board(Map.of());
        Verdict v = b.publish("1", new Publish("api", CircuitState.OPEN, ticker.epochMillis() + 2000));
        assertThat(v.state).isEqualTo(CircuitState.OPEN);
        assertThat(v.remainingMillis).isEqualTo(2000);

        ticker.advance(Duration.ofMillis(500));
        PollReply r = b.poll(new Poll(0));
        assertThat(r.changed).hasSize(1);
        assertThat(r.changed.get(0).remainingMillis).isEqualTo(1500);
        assertThat(r.changed.get(0).origin).isEqualTo("1");
        assertThat(b.poll(new Poll(r.version)).changed).as("nothing new").isEmpty();

        // a second executor's own, later verdict extends the open period; an earlier one does not shorten it
        b.publish("2", new Publish("api", CircuitState.OPEN, ticker.epochMillis() + 3000));
        b.publish("1", new Publish("api", CircuitState.OPEN, ticker.epochMillis() + 100));
        assertThat(b.poll(new Poll(r.version)).changed.get(0).remainingMillis).isEqualTo(3000);
        assertThat(b.snapshot("api").opens()).as("one closed->open transition").isEqualTo(1);
        assertThat(metrics.getGauges().get("breakers.open").getValue()).isEqualTo(1);
    }

    @Test
    void halfOpenTrialsGoToOneExecutorAndAreLimitedClusterWide() {
        DriverBreakerBoard b = board(Map.of());
        b.publish("1", new Publish("api", CircuitState.OPEN, ticker.epochMillis() + 1000));

        TrialGrant early = b.requestTrials("2", new TrialRequest("api", 3));
        assertThat(early.granted).as("still open").isZero();
        assertThat(early.current.state).isEqualTo(CircuitState.OPEN);

        ticker.advance(Duration.ofMillis(1000));
        b.publish("2", new Publish("api", CircuitState.HALF_OPEN, 0));
        assertThat(b.requestTrials("2", new TrialRequest("api", 2)).granted).isEqualTo(2);
        assertThat(b.requestTrials("1", new TrialRequest("api", 3)).granted).as("another executor owns the trials").isZero();
        assertThat(b.requestTrials("2", new TrialRequest("api", 2)).granted).as("limit 2 = owner's first request").isZero();
        b.publish("1", new Publish("api", CircuitState.HALF_OPEN, 0)); // late half-open from 1 does not reset trials
        assertThat(b.requestTrials("1", new TrialRequest("api", 3)).granted).isZero();
        assertThat(b.snapshot("api").trialsGranted()).isEqualTo(2);

        // trials failed: open again, then a new half-open period with a new owner
        long before = b.version();
        b.publish("2", new Publish("api", CircuitState.OPEN, ticker.epochMillis() + 1000));
        assertThat(b.version()).isGreaterThan(before);
        ticker.advance(Duration.ofMillis(1000));
        assertThat(b.requestTrials("1", new TrialRequest("api", 1)).granted).isEqualTo(1);
        assertThat(b.requestTrials("2", new TrialRequest("api", 1)).granted).isZero();

        // trials succeeded: closed, relayed to the others
        long v = b.version();
        b.publish("1", new Publish("api", CircuitState.CLOSED, 0));
        PollReply r = b.poll(new Poll(v));
        assertThat(r.changed).extracting(x -> x.state).containsExactly(CircuitState.CLOSED);
        assertThat(b.snapshot("api").closes()).isEqualTo(1);
        assertThat(b.requestTrials("2", new TrialRequest("api", 1)).granted).as("closed: no trials needed").isZero();
        assertThat(metrics.getGauges().get("breakers.open").getValue()).isEqualTo(0);
    }

    @Test
    void configuredTrialLimitAndTimeoutOfALostOwner() {
        DriverBreakerBoard b = board(Map.of(PluginOptions.BREAKER_HALF_OPEN_TRIALS, "1",
                PluginOptions.BREAKER_TRIAL_TIMEOUT, "2s"));
        b.publish("1", new Publish("api", CircuitState.OPEN, ticker.epochMillis() + 1000));
        ticker.advance(Duration.ofMillis(1000));
        assertThat(b.requestTrials("1", new TrialRequest("api", 5)).granted).isEqualTo(1);
        ticker.advance(Duration.ofMillis(1999));
        assertThat(b.requestTrials("2", new TrialRequest("api", 5)).granted).isZero();
        ticker.advance(Duration.ofMillis(1));
        assertThat(b.requestTrials("2", new TrialRequest("api", 5))).as("owner 1 lost: trials handed out again")
                .satisfies(g -> assertThat(g.granted).isEqualTo(1));
        assertThat(metrics.counter("breakers.trials.granted").getCount()).isEqualTo(2);
    }
}
