package io.resiliencekit.spark.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.classify.PermanentFailureException;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression tests of issue 13 that need a Spark job ({@code local[2]}): C2 (dead letters through
 * Hadoop's FileSystem) and S4 (a key function's error), and the Spark half of the secret canary.
 * Settings: documented defaults, except the retry policy is off (one attempt) where the test is
 * about one failing record and retries would only repeat it.
 */
class SparkDefectsLocalTest {

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.local();

    static final String SECRET = "Zk4-canary-81Q";

    final List<String> logged = new CopyOnWriteArrayList<>();
    final Logger root = (Logger) LogManager.getRootLogger();
    final AbstractAppender capture = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true,
        Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            StringBuilder line = new StringBuilder(event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                line.append('\n').append(printed(event.getThrown()));
            }
            logged.add(line.toString());
        }
    };

    @TempDir
    Path tmp;

    @BeforeEach
    void capture() {
        capture.start();
        root.addAppender(capture);
    }

    @AfterEach
    void release() {
        root.removeAppender(capture);
        capture.stop();
    }

    static String printed(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    static List<String> ids(int n) {
        return IntStream.range(0, n).mapToObj(i -> "r-" + i).collect(Collectors.toList());
    }

    @Test
    void C2_fileUriDeadLettersLandInThatDirectory() {
        Path dlq = tmp.resolve("dlq");
        String uri = dlq.toUri().toString();                       // file:///.../dlq/
        assertThat(uri).startsWith("file:/");
        PartitionOptions opts = PartitionOptions.builder().runId("run-c2").continueOnError(true).deadLetterPath(uri).build();
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("c2").noRetry().config();
        List<String> out = SPARK.spark().createDataset(ids(40), Encoders.STRING()).repartition(2)
            .mapPartitions(Partitions.<String>using(policy, opts).payloadBy(s -> s).map(id -> {
                if (id.endsWith("3")) {
                    throw new PermanentFailureException("bad record " + id);
                }
                return id;
            }), Encoders.STRING()).collectAsList();
        assertThat(out).hasSize(36);
        List<DeadLetter> dead = DeadLetterFiles.read(dlq);
        assertThat(dead).extracting(DeadLetter::payload).containsExactlyInAnyOrder("r-3", "r-13", "r-23", "r-33");
        assertThat(dead).allSatisfy(d -> assertThat(d.verifyChecksum()).isTrue());
    }

    @Test
    void S4_keyFunctionErrorIsScrubbedInTheTaskFailure() {
        PartitionOptions opts = PartitionOptions.builder().runId("run-s4").build();
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("s4").noRetry().config();
        Throwable failure = catchThrowable(() -> SPARK.spark().createDataset(ids(10), Encoders.STRING()).repartition(1)
            .foreachPartition(Partitions.<String>using(policy, opts).keyBy(id -> {
                throw new IllegalStateException("no key for record with token=" + SECRET);
            }).foreach(id -> id)));
        assertThat(failure).isNotNull();
        assertThat(printed(failure)).contains("PartitionFailedException").doesNotContain(SECRET);
        assertThat(logged).allSatisfy(l -> assertThat(l).doesNotContain(SECRET));

        PartitionInfo where = new PartitionInfo("app", "job", "run-s4", 1, 0, 3, 0, 7L, "1");
        PartitionFailedException direct = new PartitionFailedException(where, 17, null,
            new IllegalStateException("no key for record with token=" + SECRET));
        assertThat(direct.getMessage()).contains("offset 17 of partition 3").doesNotContain(SECRET);
        assertThat(printed(direct)).doesNotContain(SECRET);
    }

    /**
     * Issue 13, done-when 3 (Spark part): one secret in the record fields named like secrets and in a
     * failing function's message appears in no log line (driver and executor, the metrics lines
     * included), metrics line, report, exception, toString or dead letter file.
     */
    @Test
    void canarySecretAppearsInNoLogMetricsLineExceptionOrDeadLetter() throws Exception {
        String canary = "Sprk9canary2Q";
        Path dlq = tmp.resolve("canary-dlq");
        List<PartitionMetrics> metricsLines = new CopyOnWriteArrayList<>();
        java.util.function.Consumer<PartitionMetrics> listener = metricsLines::add;
        PartitionMetricsLog.addListener(listener);
        // the metrics lines are logged at INFO, which the test logging configuration keeps quiet
        org.apache.logging.log4j.Level before = LogManager.getLogger(PartitionMetricsLog.LOGGER).getLevel();
        org.apache.logging.log4j.core.config.Configurator.setLevel(PartitionMetricsLog.LOGGER, org.apache.logging.log4j.Level.INFO);
        List<String> shown = new java.util.ArrayList<>();
        try {
            // (the JDBC URLs and passwords of a policy's options are the core canary's part)
            ResiliencePolicyConfig policy = io.resiliencekit.policy.ResiliencePolicyConfig.fromOptions(java.util.Map.of(
                "name", "canary-spark", "retry.maxAttempts", "1"));
            shown.add(policy.toString());
            PartitionOptions opts = PartitionOptions.builder().runId("run-canary").continueOnError(true)
                .deadLetterPath(dlq.toUri().toString()).build();
            shown.add(opts.toString());
            PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(SPARK.spark().sparkContext(), "canary");
            SPARK.spark().createDataset(ids(20), Encoders.STRING()).repartition(2)
                .foreachPartition(Partitions.<String>using(policy, opts).metrics(acc)
                    .payloadBy(id -> java.util.Map.of("id", id, "password", canary, "auth", java.util.Map.of("token", canary)))
                    .foreach(id -> {
                        if (id.endsWith("3")) {
                            throw new PermanentFailureException("rejected " + id + ": password=" + canary
                                + " Authorization: Bearer " + canary + " at https://bob:" + canary + "@api.example.com");
                        }
                        return id;
                    }));
            // outageMaxWait 0: every call fails, which the helpers would otherwise wait out as an outage for
            // the default 5m before failing the task; this test is about what the failure says, not the wait
            PartitionOptions failing = PartitionOptions.builder().runId("run-canary-2").outageMaxWait(java.time.Duration.ZERO).build();
            Throwable failure = catchThrowable(() -> SPARK.spark().createDataset(ids(5), Encoders.STRING()).repartition(1)
                .foreachPartition(Partitions.<String>using(ResiliencePolicy.builder("canary-fail").noRetry().config(), failing)
                    .foreach(id -> {
                        throw new IllegalStateException("api said: token=" + canary);
                    })));
            shown.add(printed(failure));
            assertThat(DeadLetterFiles.read(dlq.toUri().toString())).hasSize(2);
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dlq)) {
                for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                    // every file, hidden and checksum files included, byte for byte
                    shown.add(new String(java.nio.file.Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1));
                }
            }
            metricsLines.forEach(m -> shown.add(m.toJson()));
            shown.add(PartitionReport.of(acc.value()).toJson());
        } finally {
            PartitionMetricsLog.removeListener(listener);
            org.apache.logging.log4j.core.config.Configurator.setLevel(PartitionMetricsLog.LOGGER, before);
        }
        shown.addAll(logged);
        assertThat(metricsLines).isNotEmpty();
        assertThat(logged).anySatisfy(l -> assertThat(l).contains("\"policy\":\"canary-spark\""));   // metrics lines were logged
        assertThat(shown).allSatisfy(l -> assertThat(l).doesNotContain(canary));
        assertThat(String.join("\n", shown)).contains("\"password\":\"****\"", "rejected r-3");
    }
}
