package io.resiliencekit.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.ratelimit.ThrottledApiSimulation.Hint;
import java.io.File;
import java.time.Duration;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Cluster-wide throttle feedback and {@code rate=auto}, on virtual time (issue 14, done-when 1
 * and 2 in simulation; the local-cluster tests repeat 1 at a real HTTP server). Two leased clients
 * on one in-process authority send saturated to an API whose limit they do not know (a token
 * bucket with one second of burst). Settings: the defaults (burst one second of rate, lease period
 * 1 s, so leases of 500 ms; throttle scope {@code bucket}); the scope {@code jvm} runs are the
 * comparison without feedback.
 */
class ThrottleFeedbackSimulationTest {

    static void print(String what, ThrottledApiSimulation s, long ms) {
        StringBuilder sb = new StringBuilder(what).append(": accepted/throttled/rate per second:");
        for (int t = 0; t + 1000 <= ms; t += 1000) {
            sb.append(String.format(Locale.ROOT, " %d/%d/%.0f", s.accepted(t, t + 1000), s.throttled(t, t + 1000),
                s.ratePerMs[t + 999]));
        }
        System.out.println(sb);
    }

    static long firstThrottleMs(ThrottledApiSimulation s) {
        for (int i = 0; i < s.throttledPerMs.length; i++) {
            if (s.throttledPerMs[i] > 0) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aThrottleSeenByOneClientSlowsTheWholeBucket_whereEachJvmAloneKeepsTheStormGoing() {
        // R = 200/s configured, the API takes 50/s and answers a bare 429 (no hint at all)
        double r = 200;
        ThrottledApiSimulation shared = new ThrottledApiSimulation(2, TokenBucket.builder("api").rate(r), ms -> 50,
            Hint.NONE).run(10_000);
        ThrottledApiSimulation alone = new ThrottledApiSimulation(2, TokenBucket.builder("api").rate(r)
            .throttleScope(TokenBucketConfig.ThrottleScope.JVM), ms -> 50, Hint.NONE).run(10_000);
        print("feedback", shared, 10_000);
        print("jvm only", alone, 10_000);
        long leaseWorth = (long) (r * shared.clients[0].leasePeriod().toNanos() / 1e9);
        long first = firstThrottleMs(shared);
        assertThat(first).isNotNegative();
        assertThat(shared.throttled(first + 1, 10_000)).as("throttle answers after the first, bound: one lease of R = %d",
            leaseWorth).isLessThanOrEqualTo(leaseWorth);
        assertThat(alone.throttled(firstThrottleMs(alone) + 1, 10_000)).as("without feedback: the storm")
            .isGreaterThan(10 * leaseWorth);
        // and the API's limit is used all the same once the rate has come down
        assertThat(shared.accepted(2_000, 10_000)).isGreaterThanOrEqualTo((long) (0.85 * 50 * 8));
    }

    @Test
    void aHintPausesEveryClient_withinOneLease_forTheHintAsCapped() {
        LeaseSimulation s = new LeaseSimulation(1000, 1000, 2, Duration.ofSeconds(1));
        long lease = s.leaseNanos() / 1_000_000;
        // client 0 gets a 429 with Retry-After: 60 at 5 s; the policy caps it by its retryAfterCap, say 1 s
        s.run(8_000, (c, ms) -> LeaseSimulation.SATURATED, ms -> {
            if (ms == 5_000) {
                s.buckets[0].onThrottled(Duration.ofSeconds(1));
            }
        });
        assertThat(s.admittedBy(0, 5_000, 6_000)).as("the throttled JVM pauses at once").isZero();
        assertThat(s.admittedBy(1, 5_000 + lease, 6_000)).as("the other one within a lease").isZero();
        assertThat(s.admittedBy(1, 6_000 + lease, 7_000)).as("both resume after the pause").isPositive();
        assertThat(s.admittedBy(0, 6_000 + lease, 7_000)).isPositive();
        assertThat(s.maxInWindow(1000, 0, 8_000)).isLessThanOrEqualTo(2000);
    }

    @Test
    void rateAuto_findsAHiddenLimitOf100_and1000_withFewThrottles() {
        for (double limit : new double[] {100, 1000}) {
            long runMs = 60_000;
            ThrottledApiSimulation s = new ThrottledApiSimulation(2, TokenBucket.builder("api").rateAuto(), ms -> limit,
                Hint.WHOLE_SECONDS).run(runMs);
            print("auto, L = " + limit, s, runMs);
            long converged = s.convergedAt(0.9, 0, runMs);
            double used = s.accepted(converged, runMs) / s.capacity(converged, runMs);
            double throttled = s.throttled(converged, runMs) / (double) (s.accepted(converged, runMs)
                + s.throttled(converged, runMs));
            System.out.printf(Locale.ROOT, "auto, L = %.0f: converged after %.1f s; then %.1f%% of L used, %.2f%% of calls"
                + " throttled (%.2f%% over the whole run)%n", limit, converged / 1e3, 100 * used, 100 * throttled,
                100.0 * s.throttled(0, runMs) / (s.accepted(0, runMs) + s.throttled(0, runMs)));
            assertThat(converged).as("convergence, ms").isBetween(0L, 10_000L);
            assertThat(used).as("share of L used after convergence").isGreaterThanOrEqualTo(0.90);
            assertThat(throttled).as("share of calls throttled after convergence").isLessThanOrEqualTo(0.01);
        }
    }

    @Test
    void rateAuto_followsALimitThatHalvesAndReturns() throws Exception {
        // L = 1000/s, 500/s from 40 s to 80 s, 1000/s again after
        ThrottledApiSimulation s = new ThrottledApiSimulation(2, TokenBucket.builder("api").rateAuto(),
            ms -> ms >= 40_000 && ms < 80_000 ? 500 : 1000, Hint.WHOLE_SECONDS).run(120_000);
        print("auto, L halves", s, 120_000);
        // the guide's chart, from this very run
        File chart = new File(System.getProperty("rk.autoChart.out", "target/rate-limiting-auto.png"));
        AdaptiveRateChart.write(s, chart);
        assertThat(ImageIO.read(chart).getWidth()).isEqualTo(1000);
        long down = s.convergedAt(0.9, 40_000, 80_000) - 40_000;
        long back = s.convergedAt(0.9, 80_000, 120_000) - 80_000;
        double usedHalved = s.accepted(40_000 + down, 80_000) / s.capacity(40_000 + down, 80_000);
        double usedBack = s.accepted(80_000 + back, 120_000) / s.capacity(80_000 + back, 120_000);
        long throttledAll = s.throttled(0, 120_000);
        System.out.printf(Locale.ROOT, "auto, L halves at 40 s: back at 90%% of L within %.1f s (then %.1f%% used);"
            + " L returns at 80 s: within %.1f s (then %.1f%% used); %.2f%% of all calls throttled%n", down / 1e3,
            100 * usedHalved, back / 1e3, 100 * usedBack, 100.0 * throttledAll / (throttledAll + s.accepted(0, 120_000)));
        assertThat(down).as("after the limit halves, ms").isBetween(0L, 10_000L);
        assertThat(back).as("after it returns, ms").isBetween(0L, 15_000L);
        assertThat(usedHalved).isGreaterThanOrEqualTo(0.90);
        assertThat(usedBack).isGreaterThanOrEqualTo(0.90);
        assertThat((double) throttledAll / (throttledAll + s.accepted(0, 120_000))).isLessThanOrEqualTo(0.01);
    }
}
