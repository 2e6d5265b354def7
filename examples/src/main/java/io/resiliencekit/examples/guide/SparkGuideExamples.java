package io.resiliencekit.examples.guide;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.Classification;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.classify.RetryAfter;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.partition.PartitionMetricsAccumulator;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.partition.Partitions;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.SparkSession;

/**
 * The code behind docs/guide-spark.md: each {@code tag::} region is quoted in the guide verbatim
 * (GuideSnippetsTest checks it), so the guide's configurations compile with the build, and
 * SparkGuideExamplesTest checks that they are the defaults where the guide says so.
 */
public final class SparkGuideExamples {

    private SparkGuideExamples() {
    }

    /** The guide's policy: every setting its default but the rate. */
    public static ResiliencePolicyConfig policy() {
        // tag::policy[]
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("orders-api")
            .retry(RetryConfig.defaults())                                   // 3 attempts, 100 ms doubling, full jitter, budget
            .circuitBreaker(CircuitBreakerConfig.builder("orders-api").build())   // 25 of 50 failing: open 1 s, then 2, 4... 30 s
            .rateLimiter(RateLimiters.of("orders-api", 200, 50))               // one rate for the whole application
            .idempotency(IdempotencyConfig.builder().build())                  // the application's ledger on the driver
            .config();
        // end::policy[]
        return policy;
    }

    /** An API that sheds load with 503 + Retry-After: throttling, told by a classifier rule. */
    public static ResiliencePolicyConfig sheddingApiPolicy() {
        // tag::classifier[]
        FailureClassifier classifier = FailureClassifier.builder()
            // this API answers 503 + Retry-After when it sheds load (never when it is down): slow the whole
            // job down then, as for a 429 (by default a 503 is transient: retried after its Retry-After)
            .rule((failure, now) -> failure instanceof HttpStatusException h && h.status() == 503 && h.retryAfter() != null
                ? Classification.throttled(RetryAfter.parse(h.retryAfter(), now).orElse(null)) : null)
            .build();
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("shedding-api")
            .classifier(classifier)
            .rateLimiter(RateLimiters.of("shedding-api", 200, 50))
            .config();
        // end::classifier[]
        return policy;
    }

    /** The guide's helper options and job: defaults but the run id and dead letters. */
    public static ForeachPartitionFunction<String> job(SparkSession spark, HttpJsonClient api, String batchId, String dlq) {
        ResiliencePolicyConfig policy = policy();
        // tag::job[]
        PartitionOptions opts = PartitionOptions.builder()
            .runId(batchId)                                    // the logical run: part of every key
            .continueOnError(true).deadLetterPath(dlq)         // failed records become dead letters
            .build();                                          // concurrency auto, outageMaxWait 5m
        PartitionMetricsAccumulator metrics = PartitionMetricsAccumulator.register(spark.sparkContext(), "orders");
        ForeachPartitionFunction<String> send = Partitions.<String>using(policy, opts)
            .metrics(metrics)
            .keyBy(json -> json.substring(7, json.indexOf('"', 7)))   // the order id: same record, same key
            .foreach(json -> api.post("/orders", json, Partitions.currentIdempotencyKey()));
        // end::job[]
        return send;
    }
}
