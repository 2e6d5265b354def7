package io.resiliencekit.spark.chaos;

import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.spark.idempotency.DriverLedger;
import io.resiliencekit.spark.partition.DeadLetterFiles;
import io.resiliencekit.spark.partition.PartitionMetricsAccumulator;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.partition.PartitionReport;
import io.resiliencekit.spark.partition.Partitions;
import io.resiliencekit.testkit.DownMode;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.testkit.FlakyApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * Issue 10's scenario, as a new user would run it: orders pushed through the partition helpers, on
 * {@code local-cluster} (two executor JVMs), at R per second with burst B through the plugin, to an
 * API with random 503s (with {@code Retry-After: 1}), connection resets and requests that take
 * effect before their connection is reset; one executor JVM is killed (SIGKILL) once a share of the
 * records has taken effect, and later the API answers 503 to everything for a few seconds.
 * Everything is measured at the simulator.
 *
 * <p>Settings: the documented defaults everywhere, as the Spark guide shows them: default retry
 * (3 attempts, 100 ms doubling, full jitter, budget 20% + 50), the default breaker, the application's
 * ledger with the default hold, default helper options but a run id and dead letters, an HTTP client
 * with its default timeouts. The only numbers are the scenario's: R, B, the faults.
 *
 * <p>Used by {@code ChaosInvariantsDistributedTest} (small, asserts the invariants) and by the
 * benchmark {@code io.resiliencekit.benchmarks.spark.ChaosBenchmark} (issue size, prints the table).
 */
public final class ChaosScenario {

    /** The policy's name; the plugin's limiter of this name holds R and B. */
    public static final String POLICY = "chaos-orders";

    /** What to run. */
    public record Settings(int records, int partitions, double rate, int burst, double unavailable, double resets,
                           double acceptedThenReset, double killAtFraction, double outageAtFraction, double outageSeconds,
                           long seed) {

        /** The issue's scenario: 20,000 records, R = 400/s, B = 40, 2% 503, 1% resets, 1% accepted-then-reset. */
        public static Settings issue10() {
            return new Settings(20_000, 16, 400, 40, 0.02, 0.01, 0.01, 0.3, 0.6, 3, 10);
        }

        /** The Spark settings the scenario needs: the plugin and its limiter (R, B). */
        public Map<String, String> sparkConf() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("spark.plugins", ResilienceCluster.PLUGIN_CLASS);
            m.put("spark.resiliencekit.limiter." + POLICY + ".rate", Double.toString(rate));
            m.put("spark.resiliencekit.limiter." + POLICY + ".burst", Integer.toString(burst));
            return m;
        }

        public Settings withRecords(int n, int partitionCount) {
            return new Settings(n, partitionCount, rate, burst, unavailable, resets, acceptedThenReset, killAtFraction,
                outageAtFraction, outageSeconds, seed);
        }

        public Settings withOutage(double seconds) {
            return new Settings(records, partitions, rate, burst, unavailable, resets, acceptedThenReset, killAtFraction,
                outageAtFraction, seconds, seed);
        }
    }

    /** What the simulator saw, and what the driver reported. */
    public record Result(Settings settings, long input, long delivered, long duplicateEffects, long deadLettered,
                         Map<String, Long> deadLetterReasons, long[] receivedPerSecond, long[] acceptedPerSecond,
                         long max1s, long max10s, double jobSeconds, double outageFromSeconds, double outageSecondsObserved,
                         double killedAtSeconds, boolean killed, long receivedWhileUp, double upSeconds,
                         Map<Fault, Long> faults, PartitionReport report, long holdsReleased, String appId) {

        /** R * w + B for a window of {@code seconds}. */
        public long bound(double seconds) {
            return (long) (settings.rate() * seconds + settings.burst());
        }

        /** Requests the API received while it was up, over R times the time it was up. */
        public double utilisationWhileUp() {
            return receivedWhileUp / (settings.rate() * upSeconds);
        }

        /** Records that took effect, over R times the time the API was up. */
        public double deliveredShareOfR() {
            return delivered / (settings.rate() * upSeconds);
        }

        public String table() {
            Settings s = settings;
            StringBuilder sb = new StringBuilder();
            sb.append("| measured at the simulator | value |\n|---|---:|\n");
            row(sb, "input records", String.format(Locale.ROOT, "%,d", input));
            row(sb, "delivered (effects) + dead-lettered", String.format(Locale.ROOT, "%,d + %,d = %,d (%s input)",
                delivered, deadLettered, delivered + deadLettered, delivered + deadLettered == input ? "=" : "!="));
            row(sb, "dead letters by reason", deadLetterReasons.isEmpty() ? "none" : deadLetterReasons.toString());
            row(sb, "duplicate effects", Long.toString(duplicateEffects));
            row(sb, "most requests in any 1 s window", String.format(Locale.ROOT, "%d (R*1s+B = %d)", max1s, bound(1)));
            row(sb, "most requests in any 10 s window", String.format(Locale.ROOT, "%,d (R*10s+B = %,d)", max10s, bound(10)));
            row(sb, "job (first to last request)", String.format(Locale.ROOT, "%.1f s (ideal N/R = %.1f s)", jobSeconds,
                input / s.rate()));
            row(sb, "API down", String.format(Locale.ROOT, "%.1f s from t=%.1f s", outageSecondsObserved, outageFromSeconds));
            row(sb, "executor JVM killed", killed ? String.format(Locale.ROOT, "at t=%.1f s; %d key(s) released by the ledger",
                killedAtSeconds, holdsReleased) : "no");
            row(sb, "quota used while the API was up", String.format(Locale.ROOT, "%.1f%% (%,d requests in %.1f s at R = %.0f/s)",
                100 * utilisationWhileUp(), receivedWhileUp, upSeconds, s.rate()));
            row(sb, "effects per second of R while up", String.format(Locale.ROOT, "%.1f%%", 100 * deliveredShareOfR()));
            row(sb, "faults injected", faults.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
            row(sb, "driver report", String.format(Locale.ROOT, "%d attempts, %d failed (%d lost with the executor), %,d retries",
                report.attempts(), report.failedAttempts(), report.lostAttempts(), report.totals().retried()));
            return sb.toString();
        }

        /** Requests received per second, ten to a line. */
        public String perSecond() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < receivedPerSecond.length; i++) {
                sb.append(i % 10 == 0 ? String.format(Locale.ROOT, "%n%4d s:", i) : "").append(String.format(Locale.ROOT, " %4d",
                    receivedPerSecond[i]));
            }
            return sb.toString();
        }

        private static void row(StringBuilder sb, String name, String value) {
            sb.append("| ").append(name).append(" | ").append(value).append(" |\n");
        }
    }

    private ChaosScenario() {
    }

    /** The policy as the Spark guide shows it: every setting its default, the limiter's R and B the scenario's. */
    public static ResiliencePolicyConfig policy(Settings s) {
        return ResiliencePolicy.builder(POLICY)
            .retry(RetryConfig.defaults())
            .circuitBreaker(CircuitBreakerConfig.builder(POLICY).build())
            .rateLimiter(RateLimiters.of(POLICY, s.rate(), s.burst()))
            .idempotency(IdempotencyConfig.builder().build())
            .config();
    }

    /** Runs the scenario on {@code spark} (local-cluster with {@link Settings#sparkConf()}) against a fresh simulator. */
    public static Result run(SparkSession spark, Settings s) throws Exception {
        Path dlq = Files.createTempDirectory("resiliencekit-chaos-dlq");
        try (FlakyApiServer api = FlakyApiServer.builder().seed(s.seed())
            .randomUnavailable(s.unavailable()).unavailableRetryAfter(Duration.ofSeconds(1))
            .randomResets(s.resets()).randomAcceptedThenReset(s.acceptedThenReset())
            .downMode(DownMode.SERVICE_UNAVAILABLE)
            .start()) {
            ResiliencePolicyConfig policy = policy(s);
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri()).build();
            PartitionOptions opts = PartitionOptions.builder()
                .runId("chaos-" + s.seed()).jobId("chaos")
                .continueOnError(true).deadLetterPath(dlq.toString())
                .build();
            PartitionMetricsAccumulator metrics = PartitionMetricsAccumulator.register(spark.sparkContext(), "chaos");
            Dataset<String> orders = spark.range(0, s.records(), 1, s.partitions())
                .map((org.apache.spark.api.java.function.MapFunction<Long, String>) n ->
                    "{\"id\":\"order-" + n + "\",\"amount\":" + (n % 997) + ".25}", Encoders.STRING());

            // faults that follow the job's progress (effects at the API), not the wall clock
            ScheduledExecutorService chaos = Executors.newSingleThreadScheduledExecutor();
            double[] killedAt = {-1};
            boolean[] wentDown = {false};
            long killThreshold = (long) (s.records() * s.killAtFraction());
            long outageThreshold = (long) (s.records() * s.outageAtFraction());
            chaos.scheduleWithFixedDelay(() -> {
                long done = api.acceptedCount();
                if (killedAt[0] < 0 && s.killAtFraction() > 0 && done >= killThreshold && killOneExecutor()) {
                    killedAt[0] = api.sinceStart().toNanos() / 1e9;
                }
                if (!wentDown[0] && s.outageSeconds() > 0 && done >= outageThreshold) {
                    wentDown[0] = true;
                    api.downFor(Duration.ofMillis((long) (s.outageSeconds() * 1000)));
                }
            }, 5, 5, TimeUnit.MILLISECONDS);
            try {
                orders.foreachPartition(Partitions.<String>using(policy, opts)
                    .metrics(metrics)
                    .keyBy(json -> json.substring(7, json.indexOf('"', 7)))    // the order id
                    .payloadBy(json -> json)
                    .foreach(json -> client.post(FlakyApiServer.RECORDS_PATH, json, Partitions.currentIdempotencyKey())));
            } finally {
                chaos.shutdownNow();
                chaos.awaitTermination(5, TimeUnit.SECONDS);
            }

            List<DeadLetter> dead = DeadLetterFiles.read(dlq);
            Map<String, Long> reasons = new TreeMap<>(dead.stream().collect(Collectors.groupingBy(
                d -> d.classification() + " " + reasonOf(d.message()), Collectors.counting())));
            // the API's own clock: the time it was up, from the first request to the last, outage excluded
            while (!api.isUp()) {
                Thread.sleep(10);   // the outage ended after the job: count all of it
            }
            double down = api.downTime().toNanos() / 1e9;
            double downAt = api.firstDownAt().map(d -> d.toNanos() / 1e9).orElse(-1.0);
            double active = api.activeTime().toNanos() / 1e9;
            Optional<DriverLedger> ledger = ResilienceCluster.driverServices().component(DriverLedger.class);
            PartitionReport report = PartitionReport.of(metrics.value());
            return new Result(s, s.records(), api.effectsPerRecordId().size(), api.duplicateEffectCount(), dead.size(),
                reasons, api.receivedPerSecond(), api.acceptedPerSecond(), api.maxInWindow(Duration.ofSeconds(1)),
                api.maxInWindow(Duration.ofSeconds(10)), active, downAt, down, killedAt[0], killedAt[0] >= 0,
                api.receivedWhileUp(), active - down, api.faultCounts(), report,
                ledger.map(DriverLedger::releasedForLostExecutors).orElse(0L), spark.sparkContext().applicationId());
        }
    }

    /** The reason a dead letter gives, without the error's own text. */
    static String reasonOf(String message) {
        if (message == null) {
            return "";
        }
        int colon = message.indexOf(": ");
        return colon < 0 ? message : message.substring(0, colon);
    }

    /**
     * Kills one executor JVM of the local-cluster with SIGKILL, as the kernel's OOM killer would: the
     * workers run in this JVM, so the executors are its child processes.
     */
    static boolean killOneExecutor() {
        Optional<ProcessHandle> executor = ProcessHandle.current().descendants()
            .filter(p -> p.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")).orElse(false))
            .findFirst();
        executor.ifPresent(ProcessHandle::destroyForcibly);
        return executor.isPresent();
    }
}
