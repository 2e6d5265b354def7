package io.resiliencekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.testkit.Fault;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** A smaller run of the README's example job, in real Spark local mode against the real simulator. */
class QuickStartTest {

    @Test
    void smallRunDeliversEverythingOnceDeadLettersPoisonAndStaysUnderTheRate() throws Exception {
        QuickStart.Settings s = new QuickStart.Settings(4_000, 1000, 100, 4, 2, 7, 0.03, 0.01, 0.01, 1_000, 0.3, 2.5);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("QuickStartTest")
            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
            .config("spark.plugins", "io.resiliencekit.spark.ResiliencePlugin")
            .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        QuickStart.Result r;
        try {
            r = QuickStart.run(s, spark);
        } finally {
            spark.stop();
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
        }
        r.print(System.out);

        assertThat(r.input()).isEqualTo(4_000);
        assertThat(s.poisonCount()).isEqualTo(4);
        // exactly the poison records are dead-lettered (as permanent 400s): the outage's 503s are retried
        // or waited out behind the open breaker, not dead-lettered
        assertThat(r.deadLetterReasons()).isEqualTo(java.util.Map.of("PERMANENT HttpStatusException 400", 4L));
        assertThat(r.delivered()).isEqualTo(3_996);
        assertThat(r.delivered() + r.deadLettered()).isEqualTo(r.input());
        assertThat(r.duplicateEffects()).isZero();
        // faults were really injected and really retried
        assertThat(r.faults().get(Fault.UNAVAILABLE) + r.faults().get(Fault.RESET)).isGreaterThan(50);
        // every 503 or reset was retried, except the last failure of a record that ran out of attempts
        long gaveUpTransient = r.deadLetterReasons().entrySet().stream().filter(e -> e.getKey().startsWith("TRANSIENT"))
            .mapToLong(java.util.Map.Entry::getValue).sum();
        assertThat(r.retries()).isGreaterThanOrEqualTo(r.faults().get(Fault.UNAVAILABLE) + r.faults().get(Fault.RESET) - gaveUpTransient);
        // the job paced itself: never more than R*1s + B requests in any second
        // (measured at the server from arrival times: 2% slack for loopback jitter bunching arrivals)
        assertThat(r.peakAdmitted1s()).isLessThanOrEqualTo((long) ((1000 + 100) * 1.02));
        // and it cannot be faster than the quota allows
        assertThat(r.elapsedSeconds()).isGreaterThanOrEqualTo((4_000 - 100) / 1000.0 * 0.95);
        // the outage opened the breaker, calls were refused while it was open, and it closed again
        assertThat(r.breakerTransitions()).isGreaterThanOrEqualTo(2);
        assertThat(r.report().totals().breakerRejections()).isGreaterThan(0);
        // driver report: every row of every partition, poison dead-lettered there too
        assertThat(r.report().totals().rowsIn()).isEqualTo(4_000);
        assertThat(r.report().totals().deadLettered()).isEqualTo(r.deadLettered());
        assertThat(r.report().partitionsSucceeded()).isEqualTo(4);
    }
}
