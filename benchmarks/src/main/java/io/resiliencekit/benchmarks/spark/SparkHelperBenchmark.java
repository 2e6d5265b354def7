package io.resiliencekit.benchmarks.spark;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.partition.Partitions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.api.java.function.ReduceFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * Macro benchmark: a cheap function over 10 million rows in Spark {@code local[2]}, through the
 * partition helper (composed policy with retry, per-partition metrics line, MDC, resource handling;
 * idempotency keys off because a cheap pure function needs none) against a plain
 * {@code mapPartitions} doing the same arithmetic. Both run in the same JVM and SparkSession,
 * interleaved (plain, helper, plain, helper...) after warm-up rounds, and the medians are compared.
 *
 * <p>Not a JMH benchmark: JMH forks would need Spark inside the shaded {@code benchmarks.jar}. Run:
 * <pre>
 * mvn -q -pl benchmarks -am -DskipTests -Pspark-bench verify          # rows=10000000 rounds=7 warmup=3
 * mvn -q -pl benchmarks -am -DskipTests -Pspark-bench verify -Dspark.bench.args="rows=2000000 rounds=3"
 * </pre>
 */
public final class SparkHelperBenchmark {

    private SparkHelperBenchmark() {
    }

    static long cheap(long x) {
        return x * 31 + 7;
    }

    public static void main(String[] args) {
        long rows = 10_000_000L;
        int rounds = 7;
        int warmup = 3;
        int partitions = 8;
        for (String a : args) {
            for (String kv : a.trim().split("\\s+")) {
                String[] p = kv.split("=", 2);
                if (p.length == 2) {
                    switch (p[0]) {
                        case "rows": rows = Long.parseLong(p[1]); break;
                        case "rounds": rounds = Integer.parseInt(p[1]); break;
                        case "warmup": warmup = Integer.parseInt(p[1]); break;
                        case "partitions": partitions = Integer.parseInt(p[1]); break;
                        default: throw new IllegalArgumentException("unknown argument " + kv);
                    }
                }
            }
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("spark-helper-benchmark")
            .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
        try {
            Dataset<Long> input = spark.range(0, rows, 1, partitions).as(Encoders.LONG());
            MapPartitionsFunction<Long, Long> plain = it -> new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Long next() {
                    return cheap(it.next());
                }
            };
            ResiliencePolicyConfig policy = ResiliencePolicy.builder("bench").config();   // default retry, fast path
            PartitionOptions opts = PartitionOptions.builder().idempotencyKeys(false).metricsLog(false).build();
            MapPartitionsFunction<Long, Long> helper = Partitions.map(policy, opts, (Long x) -> cheap(x));
            // the policy alone, called per record from a plain mapPartitions: separates the policy's
            // own cost (core) from the helper's (this module)
            MapPartitionsFunction<Long, Long> policyOnly = it -> {
                ResiliencePolicy p = io.resiliencekit.policy.ResilienceRuntime.shared().policy(policy);
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Long next() {
                        Long x = it.next();
                        return p.call(() -> cheap(x));
                    }
                };
            };

            long expected = run(input, plain);
            if (run(input, helper) != expected || run(input, policyOnly) != expected) {
                throw new IllegalStateException("helper and plain disagree");
            }
            for (int i = 0; i < warmup; i++) {
                time(input, plain);
                time(input, helper);
                time(input, policyOnly);
            }
            List<Double> p = new ArrayList<>();
            List<Double> h = new ArrayList<>();
            List<Double> po = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                p.add(time(input, plain));
                h.add(time(input, helper));
                po.add(time(input, policyOnly));
            }
            double mp = median(p);
            double mh = median(h);
            double mpo = median(po);
            System.out.printf(Locale.ROOT, "rows=%d partitions=%d rounds=%d warmup=%d (local[2])%n", rows, partitions, rounds, warmup);
            System.out.printf(Locale.ROOT, "plain mapPartitions : median %.3f s  (all: %s)%n", mp, fmt(p));
            System.out.printf(Locale.ROOT, "helper (policy)     : median %.3f s  (all: %s)%n", mh, fmt(h));
            System.out.printf(Locale.ROOT, "policy.call only    : median %.3f s  (all: %s)%n", mpo, fmt(po));
            // 2 task threads: wall-time difference x 2 / rows = CPU ns per row
            System.out.printf(Locale.ROOT, "ratio helper/plain  : %.3f  (%.1f ns/row on one thread)%n", mh / mp, (mh - mp) * 1e9 / rows * 2);
            System.out.printf(Locale.ROOT, "ratio policy/plain  : %.3f  (%.1f ns/row)%n", mpo / mp, (mpo - mp) * 1e9 / rows * 2);
            System.out.printf(Locale.ROOT, "ratio helper/policy : %.3f  (%.1f ns/row: the helper's own cost)%n", mh / mpo, (mh - mpo) * 1e9 / rows * 2);
        } finally {
            spark.stop();
        }
    }

    private static long run(Dataset<Long> input, MapPartitionsFunction<Long, Long> fn) {
        return input.mapPartitions(fn, Encoders.LONG()).reduce((ReduceFunction<Long>) Long::sum);
    }

    private static double time(Dataset<Long> input, MapPartitionsFunction<Long, Long> fn) {
        long t0 = System.nanoTime();
        run(input, fn);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String fmt(List<Double> xs) {
        StringBuilder sb = new StringBuilder();
        for (double x : xs) {
            sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", x));
        }
        return sb.toString();
    }
}
