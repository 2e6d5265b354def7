package io.resiliencekit.spark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.ratelimit.TokenBucket;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.testkit.RateWindows;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.testkit.FlakyApiServer;

/**
 * Done-when 1 of issue 5: in local-cluster (two executor JVMs) one limiter of rate R holds at the
 * simulator, never above R*w + B in any 1 s window (its utilisation is printed, with a sanity floor
 * of 0.6 of R; 95% is asserted on virtual time by the lease simulations); the same workload through
 * a naive per-task limiter of rate R exceeds it.
 */
class ClusterRateLimitDistributedTest {

    static final double R = 50;
    static final int B = 5;

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS);

    @Test
    void oneClusterLimiterHoldsAcrossTwoExecutorJvmsWhereNaivePerTaskLimitersDoNot() throws Exception {
        // --- cluster-wide limiter through the plugin
        ResiliencePolicyConfig shared = ResiliencePolicy.builder("rl-cluster")
                .rateLimiter(RateLimiters.cluster("rl-cluster", R, B))
                .rateLimitMaxWait(Duration.ofSeconds(60))
                .config();
        Run cluster;
        try (FlakyApiServer server = FlakyApiServer.builder().start()) {
            cluster = run(server, shared, true, 450);
        }
        // --- naive: each task builds its own local bucket of rate R (what a limiter inside mapPartitions does)
        double r = R;
        int b = B;
        RateLimiterFactory perTask = ctx -> TokenBucket.builder("rl-naive").rate(r).burst(b).ticker(ctx.ticker()).build();
        ResiliencePolicyConfig naive = ResiliencePolicy.builder("rl-naive")
                .rateLimiter(perTask)
                .rateLimitMaxWait(Duration.ofSeconds(60))
                .config();
        Run naiveRun;
        try (FlakyApiServer server = FlakyApiServer.builder().start()) {
            naiveRun = run(server, naive, false, 300);
        }

        System.out.println("cluster limiter: " + cluster + " driver granted "
                + ResilienceCluster.driverServices().component(DriverTokenAuthority.class).orElseThrow().granted("rl-cluster"));
        System.out.println("naive per-task:  " + naiveRun);
        long bound = (long) (R * 1) + B;
        // Admissions (stamped by the executors the moment a permit is granted, one machine, one clock)
        // obey R*w + B exactly. At the simulator, requests admitted within one second can arrive
        // bunched after a scheduling or network delay; allow a stated 200 ms of delivery jitter there.
        long serverBound = (long) (R * (1 + 0.2)) + B;
        assertThat(cluster.executors).as("both executor JVMs called the API").hasSize(2);
        assertThat(cluster.accepted).isEqualTo(450);
        assertThat(cluster.maxAdmittedIn1s).as("max admissions in any 1 s window, bound R*w+B = " + bound)
                .isLessThanOrEqualTo(bound);
        assertThat(cluster.maxIn1s).as("max arrivals at the simulator in any 1 s window, bound R*(w+0.2s)+B = "
                + serverBound).isLessThanOrEqualTo(serverBound);
        // A sanity floor, not the figure (see JdbcTokenAuthorityTest): the utilisation is printed and
        // recorded in docs/benchmarks.md; a real-time 95% floor is a timed assertion that a loaded runner fails.
        assertThat(cluster.interiorUtilisation).as("mean of full seconds / R (sanity floor)").isGreaterThanOrEqualTo(0.6);
        assertThat(naiveRun.executors).hasSize(2);
        assertThat(naiveRun.maxAdmittedIn1s).as("naive per-task limiters exceed R*w+B").isGreaterThan(bound);
        assertThat(naiveRun.maxIn1s).as("...also at the simulator, jitter allowance included").isGreaterThan(serverBound);
    }

    private Run run(FlakyApiServer server, ResiliencePolicyConfig config, boolean shared, int n) {
        HttpJsonClient api = HttpJsonClient.builder().baseUri(server.baseUri())
                .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(5)).build();
        List<Integer> ids = IntStream.range(0, n).boxed().collect(Collectors.toList());
        long start = System.nanoTime();
        List<String> out = SPARK.jsc().parallelize(ids, 4).mapPartitions((Iterator<Integer> it) -> {
            ResiliencePolicy policy = shared ? ResilienceRuntime.shared().policy(config)
                    : ResilienceRuntime.builder().build().policy(config);   // naive: a runtime of its own per task
            List<String> rows = new ArrayList<>();
            String exec = SparkEnv.get().executorId();
            while (it.hasNext()) {
                int id = it.next();
                long[] admittedAt = new long[1];
                policy.call(() -> {
                    admittedAt[0] = System.currentTimeMillis();   // the permit has just been granted
                    return api.post("/records", "{\"id\":\"r-" + id + "\"}");
                });
                rows.add(exec + ":" + admittedAt[0]);
            }
            return rows.iterator();
        }).collect();
        double seconds = (System.nanoTime() - start) / 1e9;
        Set<String> executors = new TreeSet<>();
        out.forEach(s -> executors.add(s.substring(0, s.indexOf(':'))));
        long[] admissions = out.stream().mapToLong(s -> Long.parseLong(s.substring(s.lastIndexOf(':') + 1))).sorted().toArray();
        long maxAdmitted = 0;
        for (int i = 0, j = 0; i < admissions.length; i++) {   // sliding 1 s window over sorted admission times
            while (admissions[i] - admissions[j] >= 1000) {
                j++;
            }
            maxAdmitted = Math.max(maxAdmitted, i - j + 1);
        }
        long[] perSecond = server.receivedPerSecond();
        return new Run(executors, server.acceptedCount(), maxAdmitted, server.maxInWindow(Duration.ofSeconds(1)),
                RateWindows.interiorUtilisation(perSecond, R), seconds, java.util.Arrays.toString(perSecond));
    }

    static final class Run {
        final Set<String> executors;
        final long accepted;
        final long maxAdmittedIn1s;
        final long maxIn1s;
        final double interiorUtilisation;
        final double seconds;
        final String perSecond;

        Run(Set<String> executors, long accepted, long maxAdmittedIn1s, long maxIn1s, double interiorUtilisation,
            double seconds, String perSecond) {
            this.executors = executors;
            this.accepted = accepted;
            this.maxAdmittedIn1s = maxAdmittedIn1s;
            this.maxIn1s = maxIn1s;
            this.interiorUtilisation = interiorUtilisation;
            this.seconds = seconds;
            this.perSecond = perSecond;
        }

        @Override
        public String toString() {
            return String.format("executors=%s accepted=%d maxAdmittedIn1s=%d maxIn1s=%d interiorUtilisation=%.3f"
                    + " job=%.1fs perSecond=%s", executors, accepted, maxAdmittedIn1s, maxIn1s, interiorUtilisation,
                    seconds, perSecond);
        }
    }
}
