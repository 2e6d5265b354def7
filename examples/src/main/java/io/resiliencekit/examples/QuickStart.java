package io.resiliencekit.examples;

import io.resiliencekit.ratelimit.RateLimiters;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.spark.partition.DeadLetterFiles;
import io.resiliencekit.spark.partition.PartitionMetricsAccumulator;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.partition.PartitionReport;
import io.resiliencekit.spark.partition.Partitions;
import io.resiliencekit.testkit.DownMode;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.testkit.FlakyApiServer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * The README's first command: 100,000 generated orders, a few of them poison, pushed through the
 * partition helpers to a flaky, rate-limited HTTP API in Spark local mode, then a report.
 *
 * <pre>
 * mvn -q -pl examples -am -DskipTests -Prun-example verify
 * # other settings: -Dexample.args="records=20000 rate=1000 burst=100 threads=4 outageAt=0.5 outage=2"
 * # without the outage: -Dexample.args="outage=0"
 * </pre>
 *
 * <p>The API ({@link FlakyApiServer}) answers 429 + Retry-After above R per second, 503 at random,
 * resets connections, answers slowly, rejects poison records with 400 and deduplicates by
 * {@code Idempotency-Key}. The job sends each order with a stable key, retries transient failures
 * with jittered backoff, paces itself to R (the plugin's driver-hosted limiter) with several calls
 * in flight per task, waits while the circuit breaker is open during a short outage of the API, and
 * dead-letters the poison records instead of failing. Every resiliencekit setting is its default.
 */
public final class QuickStart {

    /** What to run. */
    public record Settings(int records, double rate, int burst, int partitions, int threads, long seed,
                           double unavailable, double resets, double slow, int poisonEvery,
                           double outageAtFraction, double outageSeconds) {
        static Settings defaults() {
            return new Settings(100_000, 2000, 200, 16, 4, 42, 0.02, 0.005, 0.01, 20_000, 0.4, 3);
        }

        static Settings parse(String[] args) {
            Map<String, String> m = new java.util.HashMap<>();
            for (String a : args) {
                for (String kv : a.trim().split("\\s+")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        m.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
            }
            Settings d = defaults();
            return new Settings(Integer.parseInt(m.getOrDefault("records", "" + d.records)),
                Double.parseDouble(m.getOrDefault("rate", "" + d.rate)), Integer.parseInt(m.getOrDefault("burst", "" + d.burst)),
                Integer.parseInt(m.getOrDefault("partitions", "" + d.partitions)),
                Integer.parseInt(m.getOrDefault("threads", "" + d.threads)), Long.parseLong(m.getOrDefault("seed", "" + d.seed)),
                Double.parseDouble(m.getOrDefault("unavailable", "" + d.unavailable)),
                Double.parseDouble(m.getOrDefault("resets", "" + d.resets)), Double.parseDouble(m.getOrDefault("slow", "" + d.slow)),
                Integer.parseInt(m.getOrDefault("poisonEvery", "" + d.poisonEvery)),
                Double.parseDouble(m.getOrDefault("outageAt", "" + d.outageAtFraction)),
                Double.parseDouble(m.getOrDefault("outage", "" + d.outageSeconds)));
        }

        long poisonCount() {
            return java.util.stream.LongStream.range(0, records).filter(n -> isPoison(n, poisonEvery)).count();
        }
    }

    /** What happened, as the API and the driver saw it. */
    public record Result(Settings settings, long input, long delivered, long duplicateEffects, long replays,
                         long deadLettered, Map<String, Long> deadLetterReasons, long retries, long breakerTransitions, long peakAdmitted1s,
                         double elapsedSeconds, double idealSeconds, double outageStartedAtSeconds, long throttled429, Map<Fault, Long> faults,
                         double activeSeconds, long receivedWhileUp, PartitionReport report, String master) {

        /** Requests the API received while it was up, over R times the time from the first to the last request, outage excluded. */
        public double quotaUsed() {
            return activeSeconds <= 0 ? 0 : receivedWhileUp / (settings.rate() * activeSeconds);
        }

        void print(PrintStream out) {
            Settings s = settings;
            out.println();
            out.println("== resiliencekit quick start: Spark " + master + ", " + s.partitions() + " partitions ==");
            out.printf(Locale.ROOT, "input                     %,d records (%d poison)%n", input, s.poisonCount());
            out.printf(Locale.ROOT, "delivered                 %,d (effects at the API)%n", delivered);
            out.printf(Locale.ROOT, "duplicates seen by API    %,d duplicate effects; %,d repeated keys answered from its idempotency store%n",
                duplicateEffects, replays);
            out.printf(Locale.ROOT, "dead-lettered             %,d %s%n", deadLettered, deadLetterReasons);
            out.printf(Locale.ROOT, "delivered + dead-lettered %,d %s input%n", delivered + deadLettered,
                delivered + deadLettered == input ? "==" : "!=");
            out.printf(Locale.ROOT, "retries                   %,d (API faults injected: %s)%n", retries, faults);
            out.printf(Locale.ROOT, "breaker transitions       %,d (API down for %.1f s from t=%.1f s into the job; %,d calls refused by the open breaker)%n",
                breakerTransitions, s.outageSeconds(), outageStartedAtSeconds, report.totals().breakerRejections());
            out.printf(Locale.ROOT, "peak admitted rate        %,d requests in any 1 s window; R = %.0f/s, B = %d, bound R*1s+B = %.0f"
                + " (arrival times at the API: loopback jitter can bunch them by up to 2%%)%n",
                peakAdmitted1s, s.rate(), s.burst(), s.rate() + s.burst());
            out.printf(Locale.ROOT, "elapsed                   %.1f s; ideal N/R = %.1f s; quota utilisation %.0f%%%n",
                elapsedSeconds, idealSeconds, 100.0 * idealSeconds / elapsedSeconds);
            out.printf(Locale.ROOT, "quota used at the API     %.1f%% of R (%,d requests in %.1f s from the first to the last, outage excluded)%n",
                100 * quotaUsed(), receivedWhileUp, activeSeconds);
            out.println("-- partitions (driver report) --");
            out.print(report.format());
            out.println(report.toJson());
        }
    }

    private QuickStart() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.parse(args);
        SparkSession.Builder builder = SparkSession.builder();
        if (System.getProperty("spark.master") == null) {   // spark-submit's --master wins; alone, local mode
            builder.master("local[" + s.threads() + "]");
        }
        SparkSession spark = builder.appName("resiliencekit-quickstart")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.plugins", "io.resiliencekit.spark.ResiliencePlugin")
            .getOrCreate();
        try {
            run(s, spark).print(System.out);
        } finally {
            spark.stop();
        }
    }

    static boolean isPoison(long n, int every) {
        return n % every == 7;
    }

    /** Runs the job against a fresh simulator and returns what happened. */
    public static Result run(Settings s, SparkSession spark) throws Exception {
        int poisonEvery = s.poisonEvery();
        Path dlq = Files.createTempDirectory("resiliencekit-dlq");
        try (FlakyApiServer api = FlakyApiServer.builder().seed(s.seed())
            // the API's quota: R per second; it tolerates bursts of 2B, the job spends at most B at once,
            // so arrival jitter on the wire does not turn into 429s (each 429 pauses the whole job)
            .rateLimit(s.rate(), 2 * s.burst())
            .randomUnavailable(s.unavailable()).randomResets(s.resets()).randomSlow(s.slow(), Duration.ofMillis(20))
            .poisonIf(id -> id.startsWith("order-") && isPoison(Long.parseLong(id.substring(6)), poisonEvery))
            // the outage answers 503 to everything (a refused port would also work, but pooled
            // connections to the closed socket then hang until the request timeout, which makes the
            // example's timing depend on the machine's load)
            .downMode(DownMode.SERVICE_UNAVAILABLE)
            .start()) {

            // Serializable: travels to executors; each JVM builds one policy from it. Every setting is
            // its default (3 attempts, 100 ms doubling with full jitter, a retry budget; the breaker opens
            // when 25 of the last 50 calls failed, for 1 s growing x2): only the rate is the job's.
            ResiliencePolicyConfig policy = ResiliencePolicy.builder("quickstart-orders")
                .retry(RetryConfig.defaults())
                // one rate for the whole application: the plugin's driver-hosted token authority leases
                // tokens to each executor JVM (in local mode the executor side runs in the driver JVM)
                .rateLimiter(RateLimiters.cluster("quickstart-orders", s.rate(), s.burst()))
                .circuitBreaker(CircuitBreakerConfig.builder("quickstart-orders").build())
                .config();
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri()).build();   // default timeouts
            PartitionOptions opts = PartitionOptions.builder()
                .runId("quickstart-" + s.seed())            // a logical run id: the same on a re-run, so keys repeat
                .jobId("quickstart")
                .continueOnError(true).deadLetterPath(dlq.toString())
                .build();
            PartitionMetricsAccumulator metrics = PartitionMetricsAccumulator.register(spark.sparkContext(), "quickstart");

            Dataset<String> orders = spark.range(0, s.records(), 1, s.partitions())
                .map((org.apache.spark.api.java.function.MapFunction<Long, String>) n ->
                    "{\"id\":\"order-" + n + "\",\"amount\":" + (n % 997) + ".25,\"currency\":\"EUR\"}", Encoders.STRING());

            // the outage starts once outageAt of the records have taken effect (not at a wall-clock
            // time, so it lands mid-job however long Spark takes to start) and lasts outageSeconds
            ScheduledExecutorService outage = Executors.newSingleThreadScheduledExecutor();
            long start = System.nanoTime();
            double[] outageStart = {-1};
            if (s.outageSeconds() > 0) {
                long threshold = (long) (s.records() * s.outageAtFraction());
                outage.scheduleWithFixedDelay(() -> {
                    if (outageStart[0] < 0 && api.acceptedCount() >= threshold) {
                        outageStart[0] = (System.nanoTime() - start) / 1e9;
                        api.downFor(Duration.ofMillis((long) (s.outageSeconds() * 1000)));
                    }
                }, 10, 10, TimeUnit.MILLISECONDS);
            }
            try {
            orders.foreachPartition(Partitions.<String>using(policy, opts)
                .metrics(metrics)
                .keyBy(json -> json.substring(7, json.indexOf('"', 7)))    // the order id
                .payloadBy(json -> json)                                  // no secrets in these records
                .foreach(json -> client.post(FlakyApiServer.RECORDS_PATH, json, Partitions.currentIdempotencyKey())));
            } finally {
                outage.shutdownNow();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;

            PartitionReport report = PartitionReport.of(metrics.value());
            long delivered = api.effectsPerRecordId().size();
            List<DeadLetter> dead = DeadLetterFiles.read(dlq);   // core dead letters, checksums verified
            long deadLettered = dead.size();
            Map<String, Long> reasons = new TreeMap<>(dead.stream().collect(Collectors.groupingBy(
                d -> d.classification() + " " + d.errorClass().substring(d.errorClass().lastIndexOf('.') + 1)
                    + (d.message() != null && d.message().contains("HTTP ") ? " " + d.message().replaceAll(".*HTTP (\\d+).*", "$1") : ""),
                Collectors.counting())));
            // the quota used, measured at the simulator: requests received while it was up, from the first to the last
            while (!api.isUp()) {
                Thread.sleep(10);   // the outage ended after the job: count all of it
            }
            double active = (api.activeTime().toNanos() - api.downTime().toNanos()) / 1e9;
            return new Result(s, s.records(), delivered, api.duplicateEffectCount(), api.duplicateKeysSeen(), deadLettered, reasons,
                report.totals().retried(), report.totals().breakerTransitions(), api.maxInWindow(Duration.ofSeconds(1)),
                elapsed, s.records() / s.rate(), outageStart[0], api.faultCount(Fault.RATE_LIMITED), api.faultCounts(),
                active, api.receivedWhileUp(), report, spark.sparkContext().master());
        }
    }
}
