package io.resiliencekit.spark.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.spark.partition.PartitionMetrics;
import io.resiliencekit.spark.testing.SparkClusters;
import io.resiliencekit.testkit.Fault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A smaller run of issue 10's chaos scenario ({@link ChaosScenario}): 1,500 records on
 * {@code local-cluster} (two executor JVMs), R = 400/s and B = 40 through the plugin, 2% 503s with
 * {@code Retry-After}, 1% resets, 1% accepted-then-reset, one executor JVM killed at 30% of the
 * records, the API answering 503 to everything for 1.5 s at 60%. Settings: the documented defaults
 * (see {@link ChaosScenario}). It asserts what users rely on, never timings: no duplicate effect,
 * nothing lost (delivered + dead-lettered = input), never more requests than R*w + B in any 1 s or
 * 10 s window, no record dead-lettered for the outage or the retry budget, and (defect 8) that the
 * driver's report counts the attempt lost with the killed executor and that executors log no false
 * "plugin not enabled" or "hold expired" warnings on shutdown. The benchmark runs the same scenario at
 * the issue's size and measures the utilisation.
 */
class ChaosInvariantsDistributedTest {

    static final ChaosScenario.Settings SETTINGS = ChaosScenario.Settings.issue10().withRecords(1_500, 4).withOutage(1.5);
    /** Arrivals bunch a little on the loopback on the way from the limiter to the server (as in QuickStartTest). */
    static final double ARRIVAL_SLACK = 1.02;

    static ChaosScenario.Result result;
    static List<String> executorLogLines;

    @BeforeAll
    static void runTheScenario() throws Exception {
        SparkSession spark = SparkClusters.localCluster("ChaosInvariantsDistributedTest", SETTINGS.sparkConf());
        try {
            result = ChaosScenario.run(spark, SETTINGS);
        } finally {
            SparkClusters.stop(spark);   // executors shut down here: their shutdown logs are checked below
        }
        System.out.println(result.table());
        System.out.println(result.perSecond());
        System.out.println(result.report().format());
        executorLogLines = executorLogs(result.appId());
    }

    @Test
    void nothingLostNothingTwiceNeverAboveTheBound() {
        ChaosScenario.Result r = result;
        assertThat(r.faults().get(Fault.UNAVAILABLE)).as("503s injected").isPositive();
        assertThat(r.faults().get(Fault.RESET) + r.faults().get(Fault.ACCEPTED_THEN_RESET)).as("resets injected").isPositive();
        assertThat(r.killed()).as("an executor JVM was killed").isTrue();
        assertThat(r.outageSecondsObserved()).as("the API was down").isPositive();

        assertThat(r.duplicateEffects()).as("duplicate effects at the API").isZero();
        assertThat(r.delivered() + r.deadLettered()).as("delivered + dead-lettered = input").isEqualTo(r.input());
        assertThat(r.max1s()).as("requests in any 1 s window").isLessThanOrEqualTo((long) (r.bound(1) * ARRIVAL_SLACK));
        assertThat(r.max10s()).as("requests in any 10 s window").isLessThanOrEqualTo((long) (r.bound(10) * ARRIVAL_SLACK));
        // an outage pauses records, the budget's give-ups wait too: neither is a reason to dead-letter
        assertThat(r.deadLetterReasons().keySet()).as("dead-letter reasons")
            .noneMatch(reason -> reason.contains("outage") || reason.contains("budget") || reason.contains("breaker"));
    }

    @Test
    void Q8_theReportCountsTheAttemptLostWithTheExecutorAndExecutorsLogNoFalseWarnings() {
        ChaosScenario.Result r = result;
        assertThat(r.report().lostAttempts()).as("attempts lost with the killed executor").isPositive();
        assertThat(r.report().failedAttempts()).isGreaterThanOrEqualTo(r.report().lostAttempts());
        assertThat(r.report().format()).doesNotContain(" 0 failed");
        assertThat(r.report().lines()).filteredOn(m -> "lost".equals(m.status()))
            .allSatisfy(m -> assertThat(m.error()).contains("ExecutorLostFailure"));
        long ok = r.report().lines().stream().filter(PartitionMetrics::ok).mapToLong(PartitionMetrics::rowsIn).sum();
        assertThat(ok).as("rows of the successful attempts").isEqualTo(r.input());

        assertThat(executorLogLines).as("executor logs were found").isNotEmpty();
        assertThat(executorLogLines).as("the plugin was on").noneMatch(l -> l.contains("ResiliencePlugin is not enabled"));
        assertThat(executorLogLines).as("no hold expired").noneMatch(l -> l.contains("hold (") && l.contains("expired"));
    }

    /** The stderr of every executor of the application (local-cluster writes them under SPARK_HOME/work). */
    static List<String> executorLogs(String appId) throws IOException {
        Path dir = SparkClusters.sparkHome().resolve("work").resolve(appId);
        List<String> lines = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return lines;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.getFileName().toString().equals("stderr"))::iterator) {
                lines.addAll(Files.readAllLines(p));
            }
        }
        return lines;
    }
}
