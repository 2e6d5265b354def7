package io.resiliencekit.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.FailureKind;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.testkit.FlakyApiServer;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Retries against a real HTTP server with injected faults. The network is real; the policy's
 * backoff waits run on a {@link ManualTicker}, so nothing here sleeps.
 */
class RetryOverHttpTest {

    private static final int K = 2;

    private final ManualTicker ticker = new ManualTicker();

    private ResiliencePolicy policy(int maxAttempts) {
        return ResiliencePolicy.builder("http").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(maxAttempts).noBudget().build()).build();
    }

    private static HttpJsonClient client(FlakyApiServer server) {
        return HttpJsonClient.builder().baseUri(server.baseUri())
            .connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofMillis(400)).build();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Fault.class, names = {"UNAVAILABLE", "RESET", "SLOW"})
    void succeedsOnAttemptKPlusOne(Fault fault) throws Exception {
        try (FlakyApiServer server = FlakyApiServer.builder().failFirst(K, fault).slowDelay(Duration.ofSeconds(3)).start()) {
            HttpJsonClient http = client(server);
            ResiliencePolicy policy = policy(5);
            String body = policy.call(() -> http.post("/records", "{\"id\":\"r-1\"}"));
            assertThat(body).contains("r-1");
            assertThat(server.receivedCount()).isEqualTo(K + 1);
            assertThat(policy.metrics().attempts()).isEqualTo(K + 1);
            assertThat(policy.metrics().retries()).isEqualTo(K);
            assertThat(server.faultCount(fault)).isEqualTo(K);
        }
    }

    @Test
    void aBadRequestIsTriedExactlyOnce() {
        try (FlakyApiServer server = FlakyApiServer.builder().poisonIds("poison-1").start()) {
            HttpJsonClient http = client(server);
            ResiliencePolicy policy = policy(5);
            assertThatThrownBy(() -> policy.call(() -> http.post("/records", "{\"id\":\"poison-1\"}")))
                .isInstanceOfSatisfying(CallFailedException.class, e -> {
                    assertThat(e.attempts()).isEqualTo(1);
                    assertThat(e.failureKind()).isEqualTo(FailureKind.PERMANENT);
                    assertThat(e.getCause()).isInstanceOfSatisfying(HttpStatusException.class,
                        h -> assertThat(h.status()).isEqualTo(400));
                });
            assertThat(server.receivedCount()).isEqualTo(1);
            assertThat(ticker.sleptNanos()).isZero();
        }
    }

    @Test
    void a429WithRetryAfter2WaitsTwoSecondsOnTheInjectedClock() throws Exception {
        // 0.5 permits/s with a burst of 1: after one request the next token is 2 s away, so Retry-After: 2
        try (FlakyApiServer server = FlakyApiServer.builder().rateLimit(0.5, 1).start()) {
            HttpJsonClient http = client(server);
            http.post("/records", "{\"id\":\"warm-up\"}");
            List<Long> attemptTimes = new ArrayList<>();
            ResiliencePolicy policy = policy(2);
            assertThatThrownBy(() -> policy.call(() -> {
                attemptTimes.add(ticker.nanoTime());
                return http.post("/records", "{\"id\":\"r-2\"}");
            })).isInstanceOfSatisfying(CallFailedException.class,
                // real time has not moved, so the server still throttles the second attempt
                e -> assertThat(e.failureKind()).isEqualTo(FailureKind.THROTTLED));
            assertThat(attemptTimes).hasSize(2);
            assertThat(attemptTimes.get(1) - attemptTimes.get(0)).isEqualTo(Duration.ofSeconds(2).toNanos());
            assertThat(server.faultCount(Fault.RATE_LIMITED)).isEqualTo(2);
            assertThat(policy.metrics().throttled()).isEqualTo(2);
        }
    }
}
