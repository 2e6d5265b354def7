package io.resiliencekit.benchmarks.spark;

import io.resiliencekit.spark.chaos.ChaosScenario;
import io.resiliencekit.spark.testing.SparkClusters;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Issue 10's chaos scenario at its full size, measured at the simulator (a benchmark, not a test:
 * it prints, it asserts nothing): 20,000 records on {@code local-cluster[2,1,1024]}, R = 400/s and
 * B = 40 through the plugin, 2% 503s with {@code Retry-After: 1}, 1% resets, 1% accepted-then-reset,
 * one executor JVM killed (SIGKILL) at 30% of the records, the API down (503 to everything) for 3 s
 * at 60%; every resiliencekit setting is its documented default (see {@link ChaosScenario}).
 *
 * <pre>
 * mvn -q -pl benchmarks -am -DskipTests -Pchaos-bench verify
 * # other sizes: -Dchaos.bench.args="records=40000 partitions=32 seed=3"
 * </pre>
 *
 * <p>The table it prints goes in {@code docs/benchmarks.md}; quote the machine's load with it.
 */
public final class ChaosBenchmark {

    private ChaosBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            for (String kv : arg.trim().split("\\s+")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    a.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        ChaosScenario.Settings d = ChaosScenario.Settings.issue10();
        ChaosScenario.Settings s = new ChaosScenario.Settings(
            Integer.parseInt(a.getOrDefault("records", "" + d.records())),
            Integer.parseInt(a.getOrDefault("partitions", "" + d.partitions())),
            Double.parseDouble(a.getOrDefault("rate", "" + d.rate())),
            Integer.parseInt(a.getOrDefault("burst", "" + d.burst())),
            Double.parseDouble(a.getOrDefault("unavailable", "" + d.unavailable())),
            Double.parseDouble(a.getOrDefault("resets", "" + d.resets())),
            Double.parseDouble(a.getOrDefault("acceptedThenReset", "" + d.acceptedThenReset())),
            Double.parseDouble(a.getOrDefault("killAt", "" + d.killAtFraction())),
            Double.parseDouble(a.getOrDefault("outageAt", "" + d.outageAtFraction())),
            Double.parseDouble(a.getOrDefault("outage", "" + d.outageSeconds())),
            Long.parseLong(a.getOrDefault("seed", "" + d.seed())));
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        SparkSession spark = SparkClusters.localCluster("resiliencekit-chaos-benchmark", s.sparkConf());
        ChaosScenario.Result r;
        try {
            r = ChaosScenario.run(spark, s);
        } finally {
            SparkClusters.stop(spark);
        }
        double loadAfter = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        System.out.println();
        System.out.printf(Locale.ROOT, "== chaos benchmark: %s; load average %.1f before, %.1f after ==%n", s, load, loadAfter);
        System.out.print(r.table());
        System.out.println("requests received per second:" + r.perSecond());
        System.out.println();
        System.out.print(r.report().format());
    }
}
