package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.testkit.DownMode;
import io.resiliencekit.testkit.FlakyApiServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 (defects 5, 6, 7) and issue 13 (B4, B5) in the partition runner, in real Spark
 * {@code local[2]} against the real simulator. Each test states its settings; defaults unless said.
 */
class PartitionRunnerRegressionTest {

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.local();
    static final Map<String, AtomicInteger> IN_FLIGHT = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> MOST_IN_FLIGHT = new ConcurrentHashMap<>();

    @TempDir
    Path tmp;

    static List<String> ids(int n) {
        return IntStream.range(0, n).mapToObj(i -> "r-" + i).collect(Collectors.toList());
    }

    static HttpJsonClient client(FlakyApiServer api) {
        return HttpJsonClient.builder().baseUri(api.baseUri()).build();
    }

    /**
     * Defect 6: one call in flight per task idled its slot through every slow answer and retry delay.
     * Settings: a limiter of 2,000/s (local), default concurrency (auto), an API that answers every
     * request after 20 ms; one partition. The task must keep several calls in flight (at R x latency
     * that is about 60), emit the map's outputs in input order, and count every record once.
     */
    @Test
    void Q6_aTaskKeepsSeveralCallsInFlightAndTheMapKeepsItsOrder() throws Exception {
        String tag = "q6";
        try (FlakyApiServer api = FlakyApiServer.builder().randomSlow(1.0, Duration.ofMillis(20)).start()) {
            HttpJsonClient client = client(api);
            ResiliencePolicyConfig policy = ResiliencePolicy.builder("q6").rateLimiter(RateLimiters.local("q6", 2_000, 50)).config();
            PartitionOptions opts = PartitionOptions.builder().runId("q6-run").build();
            PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(SPARK.spark().sparkContext(), "q6");
            List<String> input = ids(300);
            List<String> out = SPARK.jsc().parallelize(input, 1).mapPartitions(Partitions.<String>using(policy, opts).metrics(acc)
                .mapRdd(id -> {
                    int now = IN_FLIGHT.computeIfAbsent(tag, t -> new AtomicInteger()).incrementAndGet();
                    MOST_IN_FLIGHT.computeIfAbsent(tag, t -> new AtomicInteger()).accumulateAndGet(now, Math::max);
                    try {
                        String key = Partitions.currentIdempotencyKey();
                        client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}", key);
                        return id + "@" + key;
                    } finally {
                        IN_FLIGHT.get(tag).decrementAndGet();
                    }
                })).collect();
            assertThat(MOST_IN_FLIGHT.get(tag).get()).as("calls of the one task in flight at once").isGreaterThanOrEqualTo(4);
            assertThat(out).as("one output per record").hasSize(input.size());
            for (int i = 0; i < input.size(); i++) {   // in input order, each with its own key
                assertThat(out.get(i)).startsWith(input.get(i) + "@rk:q6-run:p0:");
            }
            PartitionReport report = PartitionReport.of(acc.value());
            assertThat(report.totals().rowsIn()).isEqualTo(300);
            assertThat(report.totals().succeeded()).isEqualTo(300);
            assertThat(report.totals().failed()).isZero();
            assertThat(api.effectsPerRecordId()).hasSize(300).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
        }
    }

    /**
     * The sink's calls in flight (issue 12, W1) rest on this: a resource declared thread-safe is
     * opened once per task and shared by its calls in flight, with {@code auto} adapting as in the
     * resource-free forms; an undeclared one keeps {@code auto} at one call in flight (and one
     * resource). Settings: as Q6 (a local limiter of 2,000/s, default concurrency, 20 ms per
     * request), one partition of 200 records, a resource that counts its opens and closes.
     */
    @Test
    void aThreadSafeResourceIsSharedByTheCallsInFlight_anUndeclaredOneServesOneCallAtATime() throws Exception {
        try (FlakyApiServer api = FlakyApiServer.builder().randomSlow(1.0, Duration.ofMillis(20)).start()) {
            HttpJsonClient client = client(api);
            ResiliencePolicyConfig policy = ResiliencePolicy.builder("shared-resource")
                .rateLimiter(RateLimiters.local("shared-resource", 2_000, 50)).config();
            for (boolean threadSafe : new boolean[] {true, false}) {
                String tag = "resource-" + threadSafe;
                PartitionOptions opts = PartitionOptions.builder().runId(tag).build();
                Partitions<String> helper = Partitions.<String>using(policy, opts);
                if (threadSafe) {
                    helper.threadSafeResource();
                }
                SPARK.jsc().parallelize(ids(200).stream().map(id -> tag + "-" + id).collect(Collectors.toList()), 1)
                    .foreachPartition(helper.foreachRdd(info -> {
                        IN_FLIGHT.computeIfAbsent(tag + "-opened", t -> new AtomicInteger()).incrementAndGet();
                        return () -> IN_FLIGHT.computeIfAbsent(tag + "-closed", t -> new AtomicInteger()).incrementAndGet();
                    }, (resource, id) -> {
                        int now = IN_FLIGHT.computeIfAbsent(tag, t -> new AtomicInteger()).incrementAndGet();
                        MOST_IN_FLIGHT.computeIfAbsent(tag, t -> new AtomicInteger()).accumulateAndGet(now, Math::max);
                        try {
                            return client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}",
                                Partitions.currentIdempotencyKey());
                        } finally {
                            IN_FLIGHT.get(tag).decrementAndGet();
                        }
                    }));
                assertThat(IN_FLIGHT.get(tag + "-opened").get()).as(tag + ": resources opened").isEqualTo(1);
                assertThat(IN_FLIGHT.get(tag + "-closed").get()).as(tag + ": resources closed").isEqualTo(1);
                if (threadSafe) {
                    assertThat(MOST_IN_FLIGHT.get(tag).get()).as("calls in flight on the shared resource").isGreaterThanOrEqualTo(4);
                } else {
                    assertThat(MOST_IN_FLIGHT.get(tag).get()).as("an undeclared resource: one call at a time").isEqualTo(1);
                }
            }
            assertThat(api.effectsPerRecordId()).hasSize(400).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
        }
    }

    /**
     * Q9 (found by the chaos benchmark after issue 10): a record waiting out a long retry delay at
     * the head of a foreach task's window stopped the task's intake once twice the concurrency limit
     * of later records had finished (the map forms had room for 1,024; foreach had none), so every
     * 503 with {@code Retry-After: 1} stalled its task for most of a second: 26% of R in the chaos
     * benchmark. Settings: a local limiter of 2,000/s, default concurrency (auto, which settles near
     * 14 here), a retry delay of 1 s without jitter (a {@code Retry-After: 1}); one partition of 300
     * records, the first failing once with a reset. While it waits, the other 299 must all finish;
     * before the fix about 2 x 14 did.
     */
    @Test
    void Q9_aRecordWaitingOutItsRetryDelayDoesNotStopTheTasksIntake() throws Exception {
        String tag = "q9";
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("q9")
            .retry(RetryConfig.builder().maxAttempts(3).backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(1))
                .jitter(Jitter.NONE).build())
            .rateLimiter(RateLimiters.local("q9", 2_000, 50)).config();
        PartitionOptions opts = PartitionOptions.builder().runId("q9-run").build();
        SPARK.jsc().parallelize(ids(300), 1).foreachPartition(Partitions.<String>using(policy, opts).foreachRdd(id -> {
            if (id.equals("r-0")) {
                if (IN_FLIGHT.computeIfAbsent(tag + "-attempts", t -> new AtomicInteger()).incrementAndGet() == 1) {
                    throw new IOException("connection reset");
                }
                // the retry, a second later: how many of the others finished meanwhile
                MOST_IN_FLIGHT.put(tag + "-done-before-retry",
                    new AtomicInteger(IN_FLIGHT.computeIfAbsent(tag + "-done", t -> new AtomicInteger()).get()));
                return id;
            }
            IN_FLIGHT.computeIfAbsent(tag + "-done", t -> new AtomicInteger()).incrementAndGet();
            return id;
        }));
        assertThat(IN_FLIGHT.get(tag + "-attempts").get()).as("r-0's attempts").isEqualTo(2);
        assertThat(MOST_IN_FLIGHT.get(tag + "-done-before-retry").get())
            .as("records finished while r-0 waited out its 1 s retry delay").isEqualTo(299);
    }

    /**
     * Defect 7: a dead letter records when the record first and last failed. Settings: 3 attempts,
     * 50 ms doubling without jitter (so the times are far apart), no rate limiter (one call at a time);
     * one record of twenty always fails with a reset. It fails a first time with no other call to tell
     * whether the dependency is down, waits while the next records succeed, fails twice more and is
     * dead-lettered: three calls of three attempts, the first and last failure at least
     * 3 x (50 + 100) ms apart.
     */
    @Test
    void Q7_aDeadLetterKeepsItsFirstAndLastFailureTimes() throws Exception {
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("q7")
            .retry(RetryConfig.builder().maxAttempts(3).backoff(Duration.ofMillis(50), 2.0, Duration.ofSeconds(1))
                .jitter(Jitter.NONE).build()).config();
        PartitionOptions opts = PartitionOptions.builder().runId("q7-run").continueOnError(true)
            .deadLetterPath(tmp.resolve("dlq").toString()).build();
        SPARK.jsc().parallelize(ids(20), 1).foreachPartition(Partitions.<String>using(policy, opts).foreachRdd(id -> {
            if (id.equals("r-5")) {
                throw new IOException("connection reset");
            }
            return id;
        }));
        List<DeadLetter> dead = DeadLetterFiles.read(tmp.resolve("dlq"));
        assertThat(dead).hasSize(1);
        DeadLetter d = dead.get(0);
        assertThat(d.source().offset()).isEqualTo(5);
        assertThat(d.attempts()).isEqualTo(9);
        assertThat(d.classification()).isEqualTo("TRANSIENT");
        assertThat(d.message()).isEqualTo("gave up (max attempts) in 3 calls while other calls succeeded: connection reset");
        assertThat(d.lastFailureEpochMillis() - d.firstFailureEpochMillis()).as("between first and last failure")
            .isGreaterThanOrEqualTo(450);
    }

    /**
     * Defect 5 in the helpers: an outage with the default breaker and retry settings pauses the
     * records instead of dead-lettering them. Settings: defaults but a local limiter of 400/s; two
     * partitions of 400 records; the API answers 503 (without Retry-After) to everything for 3 s once
     * 30% took effect. Before the fix the breaker never opened and records ran out of attempts.
     */
    @Test
    void Q5_anOutagePausesRecordsInsteadOfDeadLetteringThem() throws Exception {
        try (FlakyApiServer api = FlakyApiServer.builder().downMode(DownMode.SERVICE_UNAVAILABLE).start()) {
            HttpJsonClient client = client(api);
            ResiliencePolicyConfig policy = ResiliencePolicy.builder("q5-helpers")
                .circuitBreaker(CircuitBreakerConfig.builder("q5-helpers").build())
                .rateLimiter(RateLimiters.local("q5-helpers", 400, 40)).config();
            PartitionOptions opts = PartitionOptions.builder().runId("q5-run").continueOnError(true)
                .deadLetterPath(tmp.resolve("dlq").toString()).build();
            PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(SPARK.spark().sparkContext(), "q5");
            ScheduledExecutorService outage = Executors.newSingleThreadScheduledExecutor();
            boolean[] down = {false};
            outage.scheduleWithFixedDelay(() -> {
                if (!down[0] && api.acceptedCount() >= 240) {
                    down[0] = true;
                    api.down();
                    outage.schedule(api::up, 3, TimeUnit.SECONDS);
                }
            }, 5, 5, TimeUnit.MILLISECONDS);
            try {
                SPARK.jsc().parallelize(ids(800), 2).foreachPartition(Partitions.<String>using(policy, opts).metrics(acc)
                    .foreachRdd(id -> client.post(FlakyApiServer.RECORDS_PATH, "{\"id\":\"" + id + "\"}",
                        Partitions.currentIdempotencyKey())));
            } finally {
                outage.shutdownNow();
            }
            assertThat(down[0]).as("the API went down").isTrue();
            assertThat(DeadLetterFiles.read(tmp.resolve("dlq"))).as("dead letters").isEmpty();
            assertThat(api.effectsPerRecordId()).hasSize(800).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
            PartitionReport report = PartitionReport.of(acc.value());
            assertThat(report.totals().succeeded()).isEqualTo(800);
            assertThat(report.totals().breakerTransitions()).as("the breaker opened and closed").isGreaterThanOrEqualTo(2);
        }
    }

    /**
     * B4: in the map form, a function that returned null lost its record (dropped from the output,
     * counted as succeeded). A null output is an output: it is emitted in its place, as a plain
     * mapPartitions would. Settings: defaults; no keys needed.
     */
    @Test
    void B4_aNullResultOfTheMapFormIsEmittedNotDropped() {
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("b4").config();
        PartitionOptions opts = PartitionOptions.builder().idempotencyKeys(false).build();
        PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(SPARK.spark().sparkContext(), "b4");
        List<Integer> input = IntStream.range(0, 30).boxed().collect(Collectors.toList());
        List<String> rdd = SPARK.jsc().parallelize(input, 2).mapPartitions(Partitions.<Integer>using(policy, opts).metrics(acc)
            .mapRdd(n -> n % 3 == 0 ? null : "v" + n)).collect();
        List<String> expected = new ArrayList<>();
        input.forEach(n -> expected.add(n % 3 == 0 ? null : "v" + n));
        assertThat(rdd).containsExactlyElementsOf(expected);
        List<String> ds = SPARK.spark().createDataset(input, Encoders.INT()).repartition(1)
            .mapPartitions(Partitions.map(policy, opts, (Integer n) -> n % 3 == 0 ? null : "v" + n), Encoders.STRING())
            .collectAsList();
        assertThat(ds).hasSize(30).containsOnlyOnceElementsOf(expected.stream().filter(x -> x != null).toList());
        assertThat(ds.stream().filter(x -> x == null).count()).isEqualTo(10);
        assertThat(PartitionReport.of(acc.value()).totals().succeeded()).isEqualTo(30);
    }

    /**
     * B5: a null business key must fail the record with a message that names it and says null, in
     * the per-record forms (core rejects the key) and in the batch forms, where the null used to
     * become the text "null" in the batch's key, so two batches of null keys were one key and the
     * second was skipped as a duplicate. Settings: defaults; batches of 2.
     */
    @Test
    void B5_aNullBusinessKeyFailsTheRecordNamingIt() throws Exception {
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("b5").config();
        KeyFunction<String> nullForOdd = id -> Integer.parseInt(id.substring(2)) % 2 == 1 ? null : id;
        PartitionOptions strict = PartitionOptions.builder().runId("b5-run").build();
        assertThatThrownBy(() -> SPARK.jsc().parallelize(ids(4), 1).foreachPartition(Partitions.<String>using(policy, strict)
            .keyBy(nullForOdd).foreachRdd(id -> id)))
            .hasMessageContaining("record at offset 1 of partition 0")
            .hasMessageContaining("business key is null");

        PartitionOptions batches = PartitionOptions.builder().runId("b5-run").batchSize(2).continueOnError(true)
            .deadLetterPath(tmp.resolve("dlq").toString()).build();
        List<String> nullKeys = List.of("r-1", "r-3", "r-5", "r-7");   // two batches whose keys are all null
        SPARK.spark().createDataset(nullKeys, Encoders.STRING()).coalesce(1).foreachPartition(Partitions.<String>using(policy, batches)
            .keyBy(id -> null).foreachBatch(ResourceFactory.none(), (c, batch) -> List.of()));
        List<DeadLetter> dead = DeadLetterFiles.read(tmp.resolve("dlq"));
        assertThat(dead).as("every record of both batches, named").hasSize(4)
            .allSatisfy(d -> assertThat(d.message()).contains("business key is null for the record at offset"));
    }

    static final Map<String, List<String>> CALLED = new ConcurrentHashMap<>();

    /**
     * B2: an InterruptedException from the action (a task being killed) must stop the partition with
     * the thread's interrupt status kept, also with continueOnError: it used to dead-letter the record
     * as a failure and carry on with the next ones. Settings: continueOnError with a dead-letter path
     * (the mode in which the defect showed), one partition of 10 records, r-3 is interrupted.
     */
    @Test
    void B2_anInterruptedPartitionStopsInsteadOfDeadLetteringAndCarryingOn() {
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("b2").config();
        PartitionOptions lenient = PartitionOptions.builder().runId("b2-run").continueOnError(true)
            .deadLetterPath(tmp.resolve("dlq-b2").toString()).build();
        assertThatThrownBy(() -> SPARK.jsc().parallelize(ids(10), 1).foreachPartition(Partitions.<String>using(policy, lenient)
            .foreachRdd(id -> {
                CALLED.computeIfAbsent("b2", k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(id);
                if (id.equals("r-3")) {
                    throw new InterruptedException("task killed while calling");
                }
                return id;
            })))
            .hasMessageContaining("nterrupt");
        assertThat(CALLED.get("b2")).as("no record after the interrupted one was called").doesNotContain("r-4", "r-5", "r-9");
        assertThat(DeadLetterFiles.read(tmp.resolve("dlq-b2"))).as("the interrupted record is not a dead letter").isEmpty();
    }
}
