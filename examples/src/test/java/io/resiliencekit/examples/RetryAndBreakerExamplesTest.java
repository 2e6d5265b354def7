package io.resiliencekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.CircuitState;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.examples.guide.RetryAndBreakerExamples;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.testkit.FlakyApiServer;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the guide's examples against a real flaky server. */
class RetryAndBreakerExamplesTest {

    @Test
    void basicExampleRidesOutTransientFailures() {
        try (FlakyApiServer server = FlakyApiServer.builder().failFirst(2, Fault.UNAVAILABLE).start()) {
            String receipt = RetryAndBreakerExamples.basic(server.baseUri(), "{\"id\":\"o-9\"}");
            assertThat(receipt).contains("o-9");
            assertThat(server.receivedCount()).isEqualTo(3);
            assertThat(server.acceptedCount()).isEqualTo(1);
        }
    }

    @Test
    void optionsExampleBuildsTheSamePolicyShape() {
        ResiliencePolicy p = RetryAndBreakerExamples.fromOptions();
        assertThat(p.config().retry().orElseThrow().maxAttempts()).isEqualTo(5);
        assertThat(p.circuitBreaker()).isPresent();
    }

    @Test
    void classifierExampleSortsFailures() {
        FailureClassifier c = RetryAndBreakerExamples.classifier();
        assertThat(c.classify(new RetryAndBreakerExamples.InvalidOrderException("x"), 0).kind()).isEqualTo(FailureKind.PERMANENT);
        assertThat(c.classify(new IllegalArgumentException("try later"), 0).kind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(c.isFailureResult("{\"status\":\"queued-for-retry\"}")).isTrue();
        assertThat(c.classify(new io.resiliencekit.classify.HttpStatusException(503, "1", "POST /records"), 0).kind())
            .isEqualTo(FailureKind.THROTTLED);
        assertThat(c.classify(new io.resiliencekit.classify.HttpStatusException(503, null, "POST /records"), 0).kind())
            .isEqualTo(FailureKind.TRANSIENT);
    }

    @Test
    void eventsExampleSeesTheBreakerOpen() {
        try (FlakyApiServer server = FlakyApiServer.builder().start()) {
            server.down();
            HttpJsonClient http = HttpJsonClient.builder().baseUri(server.baseUri()).requestTimeout(Duration.ofSeconds(1)).build();
            ResiliencePolicy policy = ResiliencePolicy.builder("events-example").ticker(new ManualTicker())
                .retry(RetryConfig.builder().maxAttempts(2).noBudget().build())
                .circuitBreaker(CircuitBreakerConfig.builder("events-example").countWindow(4).minimumCalls(2).build())
                .build();
            List<String> seen = RetryAndBreakerExamples.events(policy, http);
            assertThat(seen).contains("BREAKER_TRANSITION CLOSED->OPEN");
            assertThat(policy.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitState.OPEN);
        }
    }

    @Test
    void manualExampleRefusesWhileForcedOpen() {
        assertThat(RetryAndBreakerExamples.manualBreaker()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void failsafeAndAsyncExamplesWork() throws Exception {
        try (FlakyApiServer server = FlakyApiServer.builder().failFirst(1, Fault.UNAVAILABLE).start()) {
            assertThat(RetryAndBreakerExamples.withFailsafe(server.baseUri())).contains("o-2");
            HttpJsonClient http = HttpJsonClient.builder().baseUri(server.baseUri()).build();
            ResiliencePolicy policy = ResiliencePolicy.builder("async-example").build();
            assertThat(RetryAndBreakerExamples.async(policy, http)).contains("o-3", "o-4");
        }
    }
}
