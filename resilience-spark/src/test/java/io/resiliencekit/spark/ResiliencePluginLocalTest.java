package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.PluginOptions;

import static io.resiliencekit.spark.TestMessages.PING;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.spark.TestMessages.Pong;
import io.resiliencekit.spark.testing.SparkSessionExtension;

/** In local[2] the executor side runs in the driver JVM; tasks still go through the plugin's RPC. */
class ResiliencePluginLocalTest {

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.local()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS)
            .conf(PluginOptions.BREAKER_POLL_INTERVAL, "100ms")
            .conf("spark.metrics.conf.*.sink.jmx.class", "org.apache.spark.metrics.sink.JmxSink");

    @BeforeAll
    static void registerServices() {
        ResilienceCluster.driverServices().register(PING, (caller, ping) -> new Pong(ping.n + 1, caller, 0));
    }

    @Test
    void askWorksInLocalMode() {
        List<String> rows = SPARK.jsc().parallelize(List.of(1, 2, 3, 4), 4).map(i -> {
            ClusterCoordinator c = ResilienceCluster.coordinator().orElseThrow();
            Pong p = c.ask(PING, new TestMessages.Ping(i));
            return c.isDriverLocal() + " " + p.seenCaller + " " + p.n;
        }).collect();

        assertThat(rows).containsExactly("false driver 2", "false driver 3", "false driver 4", "false driver 5");
        assertThat(ResilienceCluster.options().breakerPollInterval().toMillis()).isEqualTo(100);
    }

    @Test
    void metricsReachSparksMetricsSystem() throws Exception {
        // use a cluster limiter once so its per-limiter gauge appears after the source was registered
        long got = SPARK.jsc().parallelize(List.of(1, 2), 2).map(i -> {
            io.resiliencekit.spi.RateLimiter l = io.resiliencekit.ratelimit.RateLimiters
                    .cluster("metrics-test", 1000, 10).create(io.resiliencekit.policy.ResilienceRuntime.shared());
            return l.acquire(1, java.time.Duration.ofSeconds(10));
        }).filter(w -> w >= 0).count();
        assertThat(got).isEqualTo(2);

        javax.management.MBeanServer mbs = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (javax.management.ObjectName n : mbs.queryNames(new javax.management.ObjectName("metrics:*"), null)) {
            String s = n.getKeyProperty("name");
            if (s != null && s.contains("plugin.io.resiliencekit.spark.ResiliencePlugin.")) {
                names.add(s.substring(s.indexOf("plugin.io.resiliencekit.spark.ResiliencePlugin.")
                        + "plugin.io.resiliencekit.spark.ResiliencePlugin.".length()));
            }
        }
        assertThat(names).contains("rpc.requests", "rpc.errors", "services", "tokens.granted", "breakers.open",
                "breakers.verdicts", "limiter.metrics-test.granted", "rpc.asks");
    }
}
