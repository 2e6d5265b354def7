package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.ServiceKey;

import static io.resiliencekit.spark.TestMessages.BOOM;
import static io.resiliencekit.spark.TestMessages.MISSING;
import static io.resiliencekit.spark.TestMessages.PING;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.spark.TestMessages.Pong;
import io.resiliencekit.spark.testing.SparkSessionExtension;

/** The plugin's request/response plumbing between two executor JVMs and the driver. */
class ResiliencePluginClusterTest {

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS);

    static final Set<String> CALLERS = ConcurrentHashMap.newKeySet();
    static final Set<String> SENT = ConcurrentHashMap.newKeySet();
    static final ServiceKey<String, String> NOTE = ServiceKey.of("test.note", String.class, String.class);

    @BeforeAll
    static void registerServices() {
        long pid = ProcessHandle.current().pid();
        DriverServices services = ResilienceCluster.driverServices();
        services.register(PING, (caller, ping) -> {
            CALLERS.add(caller);
            return new Pong(ping.n * 2, caller, pid);
        });
        services.register(NOTE, (caller, note) -> {
            SENT.add(note + "@" + caller);
            return null;
        });
        services.register(BOOM, (caller, ping) -> {
            throw new IllegalStateException("service failed on purpose for " + ping.n);
        });
    }

    @Test
    void executorsInBothJvmsAskTheDriverAndGetTypedReplies() {
        long driverPid = ProcessHandle.current().pid();
        List<Integer> input = IntStream.range(0, 8).boxed().collect(Collectors.toList());

        List<String> rows = SPARK.jsc().parallelize(input, 8).map(i -> {
            Thread.sleep(200); // spread tasks over both single-core executors
            ClusterCoordinator c = ResilienceCluster.coordinator().orElseThrow();
            Pong pong = c.ask(PING, new TestMessages.Ping(i));
            Pong async = c.askAsync(PING, new TestMessages.Ping(i + 100)).get();
            return SparkEnv.get().executorId() + "|" + c.executorId() + "|" + c.isDriverLocal() + "|" + pong.n
                    + "|" + async.n + "|" + pong.seenCaller + "|" + pong.driverPid + "|" + ProcessHandle.current().pid();
        }).collect();

        Set<String> executorIds = new java.util.TreeSet<>();
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i).split("\\|");
            executorIds.add(f[0]);
            assertThat(f[1]).as("coordinator knows its executor").isEqualTo(f[0]);
            assertThat(f[2]).isEqualTo("false");
            assertThat(Integer.parseInt(f[3])).isEqualTo(2 * i);
            assertThat(Integer.parseInt(f[4])).isEqualTo(2 * (i + 100));
            assertThat(f[5]).as("driver saw the asking executor").isEqualTo(f[0]);
            assertThat(Long.parseLong(f[6])).as("answered in the driver JVM").isEqualTo(driverPid);
            assertThat(Long.parseLong(f[7])).as("asked from another JVM").isNotEqualTo(driverPid);
        }
        assertThat(executorIds).hasSize(2);
        assertThat(CALLERS).containsAll(executorIds);
        assertThat(ResilienceCluster.driverServices().metrics().counter("rpc.requests").getCount())
                .isGreaterThanOrEqualTo(16);
    }

    @Test
    void failuresOnTheDriverReachTheExecutorAsCoordinationExceptions() {
        List<String> messages = SPARK.jsc().parallelize(List.of(1, 2), 2).map(i -> {
            ClusterCoordinator c = ResilienceCluster.coordinator().orElseThrow();
            String a;
            String b;
            try {
                c.ask(BOOM, new TestMessages.Ping(i));
                a = "no exception";
            } catch (ClusterCoordinationException e) {
                a = e.service() + ": " + e.getMessage();
            }
            try {
                c.ask(MISSING, new TestMessages.Ping(i));
                b = "no exception";
            } catch (ClusterCoordinationException e) {
                b = e.service() + ": " + e.getMessage();
            }
            return a + "\n" + b;
        }).collect();

        assertThat(messages).hasSize(2).allSatisfy(m -> {
            assertThat(m).contains("test.boom: ").contains("service failed on purpose");
            assertThat(m).contains("test.missing: ").contains("no such service on the driver").contains("test.ping");
        });
        assertThat(ResilienceCluster.driverServices().metrics().counter("rpc.errors").getCount()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void fireAndForgetSendsArrive() throws Exception {
        SPARK.jsc().parallelize(List.of(1, 2, 3, 4), 4).foreach(i ->
                ResilienceCluster.coordinator().orElseThrow().send(NOTE, "note-" + i));
        long end = System.currentTimeMillis() + 10_000;
        while (SENT.size() < 4 && System.currentTimeMillis() < end) {
            Thread.sleep(10);
        }
        assertThat(SENT).hasSize(4).allMatch(s -> s.startsWith("note-") && !s.endsWith("@driver"));
    }

    @Test
    void driverCodeUsesADriverLocalCoordinator() {
        ClusterCoordinator c = ResilienceCluster.coordinator().orElseThrow();
        assertThat(c.isDriverLocal()).isTrue();
        assertThat(c.ask(PING, new TestMessages.Ping(21)).n).isEqualTo(42);
    }
}
