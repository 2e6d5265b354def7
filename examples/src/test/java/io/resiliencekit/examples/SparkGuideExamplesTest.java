package io.resiliencekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.FailureKind;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.examples.guide.SparkGuideExamples;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.partition.PartitionOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The Spark guide's configurations are the defaults where it says so, and its classifier does what it says. */
class SparkGuideExamplesTest {

    @Test
    void theGuidesPolicyUsesTheDefaults() {
        ResiliencePolicyConfig p = SparkGuideExamples.policy();
        assertThat(p.retry()).contains(RetryConfig.defaults());
        assertThat(p.circuitBreaker()).contains(CircuitBreakerConfig.builder("orders-api").build());
        assertThat(p.idempotency()).contains(IdempotencyConfig.builder().build());
        assertThat(p.classifier()).isSameAs(FailureClassifier.defaults());
        PartitionOptions defaults = PartitionOptions.builder().runId("b-1").build();
        assertThat(defaults.concurrency()).isEqualTo(PartitionOptions.AUTO);
        assertThat(defaults.outageMaxWait()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theGuidesClassifierMakesA503WithRetryAfterThrottling() {
        FailureClassifier c = SparkGuideExamples.sheddingApiPolicy().classifier();
        assertThat(c.classify(new HttpStatusException(503, "2", "POST /orders"), 0).kind()).isEqualTo(FailureKind.THROTTLED);
        assertThat(c.classify(new HttpStatusException(503, "2", "POST /orders"), 0).retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.classify(new HttpStatusException(503, null, "POST /orders"), 0).kind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(FailureClassifier.defaults().classify(new HttpStatusException(503, "2", "POST /orders"), 0).kind())
            .as("the default").isEqualTo(FailureKind.TRANSIENT);
    }
}
