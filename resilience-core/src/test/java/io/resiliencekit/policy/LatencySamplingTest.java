package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.metrics.LatencyHistogram;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code metrics.latencySampling}: about 1 in n first-try successes is timed, 0 times none, 1 times all. */
class LatencySamplingTest {

    @ParameterizedTest(name = "latencySampling={0}: about {1} of 640 calls timed")
    @CsvSource({"64, 10", "16, 40", "1, 640", "0, 0"})
    void oneInNSuccessfulCallsIsTimed(int sampling, long timed) throws Exception {
        ResiliencePolicy policy = ResiliencePolicy.builder("sampling").latencySampling(sampling).build();
        for (int i = 0; i < 640; i++) {
            policy.call(() -> "ok");
        }
        assertThat(policy.metrics().calls()).isEqualTo(640);
        assertThat(policy.metrics().succeeded()).isEqualTo(640);
        assertThat(policy.metrics().latency().count()).isBetween(timed - timed / 10 - 1, timed + timed / 10 + 1);
    }

    /**
     * Regression test for sampling by a plain "every n-th count": a thread whose calls alternate
     * between a fast and a slow request timed only one of the two, so the latency histogram showed
     * either never the slow one or only it.
     */
    @Test
    void callsThatAlternateFastAndSlowAreBothSampled() throws Exception {
        ManualTicker ticker = new ManualTicker();
        ResiliencePolicy policy = ResiliencePolicy.builder("alternating").ticker(ticker).latencySampling(64).build();
        for (int i = 0; i < 6400; i++) {
            boolean slow = i % 2 == 1;
            policy.call(() -> {
                if (slow) {
                    ticker.advance(Duration.ofMillis(10));
                }
                return "ok";
            });
        }
        LatencyHistogram h = policy.metrics().latency();
        assertThat(h.count()).isBetween(90L, 110L);
        assertThat(h.quantileNanos(0.25)).as("fast calls among the samples").isLessThan(1_000_000L);
        assertThat(h.quantileNanos(0.75)).as("slow calls among the samples").isGreaterThanOrEqualTo(8_000_000L);
    }
}
