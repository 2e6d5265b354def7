package io.resiliencekit.spark.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaFutureAction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.spi.Scope;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.CircuitState;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.testkit.DownMode;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.testkit.FlakyApiServer;

/**
 * Done-when 3 of issue 5, in local-cluster (two executor JVMs): when the simulator goes down, all
 * executors stop calling it within 1 s of the first breaker verdict (measured at the simulator),
 * half-open trials are limited cluster-wide, and traffic resumes when it comes back.
 */
class ClusterBreakerDistributedTest {

    static final long OPEN_MILLIS = 2000;
    static final int TRIALS_PER_JVM = 2;
    static final int RECORDS = 600;

    /** The plugin with its defaults (the board polled every 200 ms): the shared local-cluster. */
    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS);

    static ResiliencePolicyConfig config(String name) {
        return config(name, Scope.AUTO);
    }

    /** {@code Scope.JVM}: the control, a breaker that decides in its JVM alone although the plugin runs. */
    static ResiliencePolicyConfig config(String name, Scope scope) {
        return ResiliencePolicy.builder(name)
                .noRetry()
                .circuitBreaker(CircuitBreakerConfig.builder(name).scope(scope)
                        .countWindow(10).minimumCalls(4).failureRateThreshold(0.5)
                        .openDuration(Duration.ofMillis(OPEN_MILLIS))
                        .permittedCallsInHalfOpen(TRIALS_PER_JVM)
                        .build())
                .config();
    }

    @Test
    void oneVerdictStopsEveryExecutorTrialsAreRationedAndTrafficResumes() throws Exception {
        DriverBreakerBoard board = ResilienceCluster.driverServices().component(DriverBreakerBoard.class).orElseThrow();
        Outage o = outage(config("down-api"), true, () -> board.snapshot("down-api").firstOpenedAtMillis());

        DriverBreakerBoard.Snapshot snap = board.snapshot("down-api");
        long tVerdict = o.tVerdict;
        long stoppedWindow = receivedBetween(o.samples, tVerdict + 1000, tVerdict + OPEN_MILLIS - 100);
        List<Long> bursts = burstsAfter(o.samples, tVerdict + 1000, o.tUp, 500);
        long lastBeforeHalfOpen = lastArrival(o.samples, tVerdict, tVerdict + OPEN_MILLIS - 100);
        System.out.printf("shared breaker: last request %s after the first verdict; first verdict at +%d ms after the outage,"
                        + " up at +%d ms; requests in (verdict+1s, verdict+%dms): %d; trial bursts while down: %s; board %s;"
                        + " received after up: %d; executors %s%n",
                lastBeforeHalfOpen < 0 ? "none" : (lastBeforeHalfOpen - tVerdict) + " ms", tVerdict - o.tDown, o.tUp - o.tDown,
                OPEN_MILLIS - 100, stoppedWindow, bursts, snap, o.receivedAfterUp, o.executors);

        assertThat(o.executors).as("both executor JVMs delivered").hasSize(2);
        assertThat(tVerdict - o.tDown).as("breaker verdict soon after the outage").isLessThan(2000);
        assertThat(stoppedWindow).as("requests from any executor 1 s after the first verdict, before half-open").isZero();
        assertThat(bursts).as("half-open trial bursts while down").isNotEmpty()
                .allSatisfy(n -> assertThat(n).as("trials per half-open period, cluster-wide")
                        .isLessThanOrEqualTo(TRIALS_PER_JVM));
        assertThat(snap.trialsGranted()).isGreaterThanOrEqualTo(bursts.stream().mapToLong(Long::longValue).sum());
        assertThat(o.receivedAfterUp).as("traffic resumed after the simulator came back").isGreaterThan(0);
        assertThat(o.delivered).hasSize(RECORDS);
        assertThat(o.accepted).isEqualTo(RECORDS);
        assertThat(snap.state()).isEqualTo(CircuitState.CLOSED);
        assertThat(snap.closes()).isGreaterThanOrEqualTo(1);
    }

    /** Control: the same outage with per-JVM breakers; each JVM runs its own trials. */
    @Test
    void withoutTheBoardEveryJvmRunsItsOwnTrials() throws Exception {
        Outage o = outage(config("down-api-local", Scope.JVM), false, null);
        List<Long> bursts = burstsAfter(o.samples, o.tDown + 1000, o.tUp, 500);
        System.out.printf("per-JVM breakers: trial bursts while down: %s; executors %s%n", bursts, o.executors);
        assertThat(o.delivered).hasSize(RECORDS);
        assertThat(bursts).as("without the board some half-open period sees both JVMs' trials")
                .anySatisfy(n -> assertThat(n).isGreaterThan(TRIALS_PER_JVM));
    }

    /** Runs the job, takes the simulator down after 100 requests for 5 s from the verdict, brings it back. */
    private Outage outage(ResiliencePolicyConfig config, boolean shared, java.util.function.LongSupplier verdict) throws Exception {
        try (FlakyApiServer server = FlakyApiServer.builder().downMode(DownMode.SERVICE_UNAVAILABLE).start()) {
            HttpJsonClient api = HttpJsonClient.builder().baseUri(server.baseUri())
                    .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(5)).build();
            List<long[]> samples = new CopyOnWriteArrayList<>(); // {epochMillis, receivedCount}
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    samples.add(new long[] {System.currentTimeMillis(), server.receivedCount()});
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "sampler");
            sampler.setDaemon(true);
            sampler.start();

            List<Integer> ids = IntStream.range(0, RECORDS).boxed().collect(Collectors.toList());
            JavaFutureAction<List<String>> job = SPARK.jsc().parallelize(ids, 4).mapPartitions((Iterator<Integer> it) -> {
                ResiliencePolicy policy = ResilienceCluster.policy(config);   // the control is scoped to its JVM
                List<String> out = new ArrayList<>();
                while (it.hasNext()) {
                    int id = it.next();
                    while (true) {
                        try {
                            policy.call(() -> api.post("/records", "{\"id\":\"r-" + id + "\"}"));
                            out.add(SparkEnv.get().executorId());
                            break;
                        } catch (CircuitOpenException | CallFailedException e) {
                            Thread.sleep(10); // the record waits; a real job would too, or dead-letter it
                        }
                    }
                    Thread.sleep(20); // ~50 records/s per task
                }
                return out.iterator();
            }).collectAsync();

            awaitTrue(() -> server.receivedCount() >= 100, 60_000);
            Outage o = new Outage();
            o.tDown = System.currentTimeMillis();
            server.down(DownMode.SERVICE_UNAVAILABLE);
            if (verdict != null) {
                awaitTrue(() -> verdict.getAsLong() != 0, 10_000);
                o.tVerdict = verdict.getAsLong();
            } else {
                o.tVerdict = o.tDown;
            }
            Thread.sleep(Math.max(0, o.tVerdict + 5000 - System.currentTimeMillis()));
            o.tUp = System.currentTimeMillis();
            server.up();
            o.delivered = job.get(60, TimeUnit.SECONDS);
            sampler.interrupt();
            sampler.join();
            o.samples = samples;
            o.receivedAfterUp = server.receivedCount() - countAt(samples, o.tUp);
            o.accepted = server.acceptedCount();
            o.executors = new TreeSet<>(o.delivered);
            return o;
        }
    }

    static final class Outage {
        long tDown;
        long tVerdict;
        long tUp;
        List<long[]> samples;
        List<String> delivered;
        long receivedAfterUp;
        long accepted;
        Set<String> executors;
    }

    /** Sample time of the last increase of the received count in (from, to); -1 if none. */
    private static long lastArrival(List<long[]> samples, long from, long to) {
        long prev = countAt(samples, from);
        long last = -1;
        for (long[] s : samples) {
            if (s[0] > from && s[0] < to && s[1] > prev) {
                last = s[0];
                prev = s[1];
            }
        }
        return last;
    }

    private static long countAt(List<long[]> samples, long t) {
        long c = 0;
        for (long[] s : samples) {
            if (s[0] <= t) {
                c = s[1];
            }
        }
        return c;
    }

    private static long receivedBetween(List<long[]> samples, long from, long to) {
        return countAt(samples, to) - countAt(samples, from);
    }

    /** Requests received in (from, to), grouped into bursts separated by quiet gaps of {@code gapMillis}. */
    private static List<Long> burstsAfter(List<long[]> samples, long from, long to, long gapMillis) {
        List<Long> bursts = new ArrayList<>();
        long prev = countAt(samples, from);
        long lastChange = -1;
        long current = 0;
        for (long[] s : samples) {
            if (s[0] <= from || s[0] >= to) {
                continue;
            }
            if (s[1] > prev) {
                if (lastChange >= 0 && s[0] - lastChange > gapMillis) {
                    bursts.add(current);
                    current = 0;
                }
                current += s[1] - prev;
                lastChange = s[0];
                prev = s[1];
            }
        }
        if (current > 0) {
            bursts.add(current);
        }
        return bursts;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("condition not met within " + timeoutMillis + " ms");
            }
            Thread.sleep(5);
        }
    }
}
