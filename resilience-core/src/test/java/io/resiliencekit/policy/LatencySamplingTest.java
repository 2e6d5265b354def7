package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code metrics.latencySampling}: 1 in n first-try successes is timed, 0 times none, 1 times all. */
class LatencySamplingTest {

    @ParameterizedTest(name = "latencySampling={0}: {1} of 640 calls timed")
    @CsvSource({"64, 10", "16, 40", "1, 640", "0, 0"})
    void oneInNSuccessfulCallsIsTimed(int sampling, long timed) throws Exception {
        ResiliencePolicy policy = ResiliencePolicy.builder("sampling").latencySampling(sampling).build();
        for (int i = 0; i < 640; i++) {
            policy.call(() -> "ok");
        }
        assertThat(policy.metrics().calls()).isEqualTo(640);
        assertThat(policy.metrics().succeeded()).isEqualTo(640);
        assertThat(policy.metrics().latency().count()).isEqualTo(timed);
    }
}
