package io.resiliencekit.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.ratelimit.TokenBucket;
import io.resiliencekit.ratelimit.TokenBucketConfig;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.ratelimit.DriverTokenAuthority;
import io.resiliencekit.spark.retry.DriverRetryBudgets;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.spi.Cluster;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.RateLimiterFactory;
import io.resiliencekit.spi.Scope;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.testkit.DownMode;
import io.resiliencekit.testkit.FlakyApiServer;
import io.resiliencekit.testkit.ThrottleHeaders;

/**
 * Issue 14 on {@code local-cluster} (two executor JVMs, one core each, a task at a time) through the
 * plugin, counted at a real HTTP simulator: what one executor learns, every executor obeys.
 * Done-when 1 (throttle feedback), 3 (one retry budget for the application) and 4 (split brain).
 * Every run uses the documented defaults except where a test says otherwise and why.
 */
class ClusterFeedbackDistributedTest {

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS);

    static HttpJsonClient client(FlakyApiServer server) {
        return HttpJsonClient.builder().baseUri(server.baseUri())
                .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(5)).build();
    }

    /** Calls {@code /records} once per record through the JVM's policy; returns "executor:ok" or "executor:failed". */
    static List<String> run(ResiliencePolicyConfig config, HttpJsonClient api, int records, int partitions) {
        List<Integer> ids = IntStream.range(0, records).boxed().collect(Collectors.toList());
        return SPARK.jsc().parallelize(ids, partitions).mapPartitions((Iterator<Integer> it) -> {
            ResiliencePolicy policy = ResilienceRuntime.shared().policy(config);
            String exec = SparkEnv.get().executorId();
            List<String> out = new ArrayList<>();
            while (it.hasNext()) {
                int id = it.next();
                try {
                    policy.call(() -> api.post("/records", "{\"id\":\"" + config.name() + "-" + id + "\"}"));
                    out.add(exec + ":ok");
                } catch (CallFailedException e) {
                    out.add(exec + ":failed");
                }
            }
            return out.iterator();
        }).collect();
    }

    static Set<String> executors(List<String> rows) {
        Set<String> s = new TreeSet<>();
        rows.forEach(r -> s.add(r.substring(0, r.indexOf(':'))));
        return s;
    }

    // ------------------------------------------------------------------------------------ done-when 1

    /**
     * The API takes 50/s and answers above that with a bare 429 (no Retry-After, no rate-limit
     * header: nothing an executor alone could act on); the application's limiter is set to 200/s
     * (someone guessed the limit wrong). With the feedback (throttle scope {@code bucket}, the
     * default), the first 429 reaches the driver's authority, which cuts every executor's rate:
     * after it, at most one lease period's worth of R more calls are answered 429. With throttle
     * scope {@code jvm} (the comparison: each JVM on its own, as before), the storm goes on.
     * Settings: the defaults (burst one second of rate, lease 500 ms, retry 3 attempts, full jitter).
     */
    @Test
    void aThrottleSeenByOneExecutor_slowsTheWholeApplication_withoutFeedbackTheStormGoesOn() {
        double r = 200;
        int records = 500;
        long leaseWorth;
        long further;
        long furtherAlone;
        try (FlakyApiServer server = FlakyApiServer.builder().rateLimit(50, 50).throttleHeaders(ThrottleHeaders.NONE)
                .start()) {
            ResiliencePolicyConfig shared = ResiliencePolicy.builder("fb-shared")
                    .rateLimiter(RateLimiters.cluster("fb-shared", r, (long) r))
                    .rateLimitMaxWait(Duration.ofSeconds(60)).config();
            List<String> rows = run(shared, client(server), records, 4);
            assertThat(executors(rows)).hasSize(2);
            leaseWorth = (long) (r * 0.5);
            further = server.throttledCount() - 1;
            System.out.printf(Locale.ROOT, "feedback: %d throttled (the first at %.2f s), %d accepted, per second %s;"
                    + " driver's rate now %.1f/s%n", server.throttledCount(), server.firstThrottledNanos() / 1e9,
                    server.acceptedCount(), java.util.Arrays.toString(server.throttledPerSecond()),
                    ResilienceCluster.driverServices().component(DriverTokenAuthority.class).orElseThrow()
                            .currentRate("fb-shared"));
        }
        try (FlakyApiServer server = FlakyApiServer.builder().rateLimit(50, 50).throttleHeaders(ThrottleHeaders.NONE)
                .start()) {
            TokenBucketConfig alone = TokenBucket.builder("fb-alone").rate(r).burst((long) r)
                    .mode(TokenBucketConfig.Mode.LEASED).authority(TokenBucketConfig.AuthorityKind.CLUSTER)
                    .throttleScope(TokenBucketConfig.ThrottleScope.JVM).config();
            ResiliencePolicyConfig each = ResiliencePolicy.builder("fb-alone").rateLimiter(new TokenBucketFactory(alone))
                    .rateLimitMaxWait(Duration.ofSeconds(60)).config();
            List<String> rows = run(each, client(server), records, 4);
            assertThat(executors(rows)).hasSize(2);
            furtherAlone = server.throttledCount() - 1;
            System.out.printf(Locale.ROOT, "each JVM alone: %d throttled, %d accepted, per second %s%n",
                    server.throttledCount(), server.acceptedCount(), java.util.Arrays.toString(server.throttledPerSecond()));
        }
        assertThat(further).as("429s after the first, with feedback; bound: one lease period of R = %d", leaseWorth)
                .isBetween(0L, leaseWorth);
        // each JVM alone breaks that bound (measured: 226 against 27 with feedback): every executor learns on its own
        assertThat(furtherAlone).as("429s after the first, each JVM alone: the storm").isGreaterThan(leaseWorth)
                .isGreaterThan(3 * further);
    }

    // ------------------------------------------------------------------------------------ done-when 3

    /**
     * The dependency is down (503 to every request) for 10,000 calls spread over both executors.
     * One budget for the application: attempts at the simulator at most {@code calls + reserve +
     * ratio * calls} = 10,000 + 50 + 2,000 = 12,050 with the default ratio 0.2 and reserve 50; with
     * a budget per JVM (the comparison, 2,000 calls to keep the suite short) each executor spends
     * its own reserve: above {@code calls + reserve + ratio * calls}. Settings: the defaults (3
     * attempts, budget 0.2/50) but a 1 ms base delay, so 10,000 failing calls take seconds rather
     * than minutes (the budget does not depend on the delays).
     */
    @Test
    void aDependencyDownFor10000Calls_staysWithinTheApplicationsOneRetryBudget() {
        int calls = 10_000;
        double ratio = 0.2;
        int reserve = 50;
        long bound = calls + reserve + (long) (ratio * calls);
        long attempts;
        long attemptsPerJvm;
        int comparisonCalls = 2_000;
        long comparisonBound = comparisonCalls + reserve + (long) (ratio * comparisonCalls);
        try (FlakyApiServer server = FlakyApiServer.builder().downMode(DownMode.SERVICE_UNAVAILABLE).start()) {
            server.down();
            ResiliencePolicyConfig cluster = ResiliencePolicy.builder("budget-cluster")
                    .retry(RetryConfig.builder().backoff(Duration.ofMillis(1), 2.0, Duration.ofMillis(10)).build())
                    .config();
            List<String> rows = run(cluster, client(server), calls, 4);
            assertThat(rows).hasSize(calls).allMatch(s -> s.endsWith(":failed"));
            assertThat(executors(rows)).hasSize(2);
            attempts = server.receivedCount();
            DriverRetryBudgets budgets = ResilienceCluster.driverServices().component(DriverRetryBudgets.class).orElseThrow();
            System.out.printf(Locale.ROOT, "one budget: %d attempts for %d calls (bound %d); the driver granted %d retries"
                    + " against %d calls reported%n", attempts, calls, bound, budgets.withdrawn("budget-cluster"),
                    budgets.calls("budget-cluster"));
        }
        try (FlakyApiServer server = FlakyApiServer.builder().downMode(DownMode.SERVICE_UNAVAILABLE).start()) {
            server.down();
            ResiliencePolicyConfig perJvm = ResiliencePolicy.builder("budget-jvm")
                    .retry(RetryConfig.builder().backoff(Duration.ofMillis(1), 2.0, Duration.ofMillis(10))
                            .budgetScope(Scope.JVM).build())
                    .config();
            run(perJvm, client(server), comparisonCalls, 4);
            attemptsPerJvm = server.receivedCount();
            System.out.printf(Locale.ROOT, "a budget per JVM: %d attempts for %d calls (one budget's bound %d)%n",
                    attemptsPerJvm, comparisonCalls, comparisonBound);
        }
        assertThat(attempts).as("attempts with one budget; bound calls + reserve + ratio * calls").isLessThanOrEqualTo(bound)
                // the budget is spent, not refused altogether: within the reserve and a few fractions of it
                .isGreaterThanOrEqualTo(bound - reserve);
        assertThat(attemptsPerJvm).as("a budget per JVM spends a reserve per executor").isGreaterThan(comparisonBound);
    }

    // ------------------------------------------------------------------------------------ done-when 4

    /**
     * The executor running partition 0 (called executor 0 below; on the shared local-cluster its id
     * need not be "0") loses the driver's authority 2 s after its first lease answer, for 5 s (its lease
     * requests fail; the switch sits in front of the plugin's authority on that executor), executor
     * 1 keeps it. After an answer, not before: a client the authority never heard from has nothing
     * kept aside (the limit the guide states), which is not what this test is about.
     * Admissions, stamped by the executors as each permit is granted, stay within {@code R*w + B} in
     * every 1 s and 10 s window; at the simulator with 200 ms of delivery jitter allowed, as in
     * ClusterRateLimitDistributedTest. Settings: R = 100/s, B = 100 (lease 500 ms), the defaults
     * otherwise.
     */
    @Test
    void oneExecutorCutOffFromTheAuthority_theOtherNot_admittedStaysWithinRwPlusB() {
        double r = 100;
        long b = 100;
        int records = 1_000;
        long cutMillis = 5_000;
        RateLimiterFactory split = ctx -> ctx.share("rate limiter", "split", "split", k -> {
            Cluster cluster = ctx.cluster().orElseThrow();
            TokenAuthority real = cluster.tokenAuthority();
            // made in the task that first calls the policy in this JVM; each executor runs one of the 2 partitions
            boolean cutOff = TaskContext.get().partitionId() == 0;
            TokenAuthority switched = req -> {
                if (!cutOff) {
                    return real.requestLease(req);
                }
                long from = Cut.from;
                if (from == 0) {
                    LeaseResponse first = real.requestLease(req);
                    Cut.from = System.currentTimeMillis() + 2_000;
                    return first;
                }
                long now = System.currentTimeMillis();
                if (now >= from && now < from + cutMillis) {
                    throw new TokenAuthorityException("cut off from the driver (test)");
                }
                return real.requestLease(req);
            };
            return TokenBucket.builder("split").rate(r).burst(b).ticker(ctx.ticker()).clientId(cluster.clientId())
                    .buildLeased(switched);
        });
        ResiliencePolicyConfig config = ResiliencePolicy.builder("split").rateLimiter(split)
                .rateLimitMaxWait(Duration.ofSeconds(60)).config();
        try (FlakyApiServer server = FlakyApiServer.builder().start()) {
            HttpJsonClient api = client(server);
            List<Integer> ids = IntStream.range(0, records).boxed().collect(Collectors.toList());
            List<String> rows = SPARK.jsc().parallelize(ids, 2).mapPartitions((Iterator<Integer> it) -> {
                ResiliencePolicy policy = ResilienceRuntime.shared().policy(config);
                String exec = SparkEnv.get().executorId();
                List<String> out = new ArrayList<>();
                while (it.hasNext()) {
                    int id = it.next();
                    long[] admittedAt = new long[1];
                    policy.call(() -> {
                        admittedAt[0] = System.currentTimeMillis(); // the permit has just been granted
                        return api.post("/records", "{\"id\":\"split-" + id + "\"}");
                    });
                    out.add(exec + ":" + admittedAt[0]);
                }
                if (TaskContext.get().partitionId() == 0) {
                    out.add("cut:" + exec + ":" + Cut.from);
                }
                return out.iterator();
            }).collect();
            String cut = rows.stream().filter(s -> s.startsWith("cut:")).findFirst().orElseThrow();
            String cutOffExec = cut.substring(4, cut.lastIndexOf(':')) + ":";
            long cutFrom = Long.parseLong(cut.substring(cut.lastIndexOf(':') + 1));
            long cutTo = cutFrom + cutMillis;
            rows = rows.stream().filter(s -> !s.startsWith("cut:")).collect(Collectors.toList());
            assertThat(executors(rows)).hasSize(2);
            long[] at = rows.stream().mapToLong(s -> Long.parseLong(s.substring(s.indexOf(':') + 1))).sorted().toArray();
            long cutOffAdmitted = rows.stream().filter(s -> s.startsWith(cutOffExec))
                    .mapToLong(s -> Long.parseLong(s.substring(cutOffExec.length()))).filter(t -> t >= cutFrom && t < cutTo).count();
            long max1 = maxIn(at, 1_000);
            long max10 = maxIn(at, 10_000);
            long peakAt = peakStart(at, 1_000);
            System.out.printf(Locale.ROOT, "split brain: the busiest 1 s starts %.2f s after the cut began (cut %.1f s);"
                    + " first admission %.2f s before the cut; executor 0's admissions per second %s%n",
                    (peakAt - cutFrom) / 1e3, (cutTo - cutFrom) / 1e3, (cutFrom - at[0]) / 1e3,
                    perSecond(rows, cutOffExec, at[0]));
            System.out.printf(Locale.ROOT, "split brain: %d admitted in %.1f s, executor 0 admitted %d while cut off; max in"
                    + " any 1 s %d (bound %d), in any 10 s %d (bound %d); at the simulator %d and %d%n", at.length,
                    (at[at.length - 1] - at[0]) / 1e3, cutOffAdmitted, max1, (long) r + b, max10, (long) (10 * r) + b,
                    server.maxInWindow(Duration.ofSeconds(1)), server.maxInWindow(Duration.ofSeconds(10)));
            assertThat(cutOffAdmitted).as("the cut-off executor kept going at its fallback rate").isPositive();
            assertThat(max1).as("admissions in any 1 s, bound R*w + B").isLessThanOrEqualTo((long) r + b);
            assertThat(max10).as("admissions in any 10 s").isLessThanOrEqualTo((long) (10 * r) + b);
            assertThat(server.maxInWindow(Duration.ofSeconds(1))).isLessThanOrEqualTo((long) (r * 1.2) + b);
            assertThat(server.maxInWindow(Duration.ofSeconds(10))).isLessThanOrEqualTo((long) (r * 10.2) + b);
        }
    }

    /** When executor 0's cut begins (in that executor's JVM: set on its first lease answer). */
    static final class Cut {
        static volatile long from;
    }

    static long peakStart(long[] sortedMillis, long windowMillis) {
        long best = 0;
        long at = sortedMillis[0];
        for (int i = 0, j = 0; i < sortedMillis.length; i++) {
            while (sortedMillis[i] - sortedMillis[j] >= windowMillis) {
                j++;
            }
            if (i - j + 1 > best) {
                best = i - j + 1;
                at = sortedMillis[j];
            }
        }
        return at;
    }

    static String perSecond(List<String> rows, String prefix, long from) {
        int[] n = new int[40];
        rows.stream().filter(r -> r.startsWith(prefix)).mapToLong(r -> Long.parseLong(r.substring(prefix.length())))
                .forEach(t -> n[(int) Math.min(39, (t - from) / 1000)]++);
        return java.util.Arrays.toString(n);
    }

    static long maxIn(long[] sortedMillis, long windowMillis) {
        long best = 0;
        for (int i = 0, j = 0; i < sortedMillis.length; i++) {
            while (sortedMillis[i] - sortedMillis[j] >= windowMillis) {
                j++;
            }
            best = Math.max(best, i - j + 1);
        }
        return best;
    }
}
