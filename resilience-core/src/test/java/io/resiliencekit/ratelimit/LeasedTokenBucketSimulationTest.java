package io.resiliencekit.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Done-when 1, 3 and 4 of the rate-limiting issue, on virtual time: 8 leased clients share one
 * global bucket through an in-process authority. Every check is against what a user relies on:
 * admitted calls in any window w at most R*w + B, and the quota used when there is demand.
 */
class LeasedTokenBucketSimulationTest {

    static final double R = 1000;
    static final long B = 1000;
    static final int CLIENTS = 8;
    static final Duration LEASE = Duration.ofSeconds(1);

    static void assertWindowsBounded(LeaseSimulation s, long fromMs, long toMs) {
        System.out.printf(Locale.ROOT, "%s: admitted %d in %d ms, max 1 s window %d, max 10 s window %d%n",
            new Throwable().getStackTrace()[1].getMethodName(), s.admitted(fromMs, toMs), toMs - fromMs,
            s.maxInWindow(1000, fromMs, toMs), s.maxInWindow(10_000, fromMs, toMs));
        for (int w : new int[] {1000, 10_000}) {
            long max = s.maxInWindow(w, fromMs, toMs);
            assertThat(max).as("admitted in any %d ms window", w).isLessThanOrEqualTo((long) (R * w / 1000) + B);
        }
    }

    @Test
    void allBusy_staysWithinRwPlusB_andUsesAtLeast98PercentOfTheQuota() {
        LeaseSimulation s = new LeaseSimulation(R, B, CLIENTS, LEASE).run(60_000, (c, ms) -> LeaseSimulation.SATURATED, null);

        assertWindowsBounded(s, 0, 60_000);
        assertThat(s.admitted(0, 60_000)).isGreaterThanOrEqualTo((long) (0.98 * R * 60));
        // every client gets a fair part (max-min fair split of R by demand)
        for (int i = 0; i < CLIENTS; i++) {
            assertThat(s.admittedBy(i, 10_000, 60_000)).as("client %d", i)
                .isBetween((long) (0.8 * R * 50 / CLIENTS), (long) (1.2 * R * 50 / CLIENTS));
        }
    }

    @Test
    void oneBusySevenIdle_busyClientReaches95PercentOfRWithinTwoLeasePeriods() {
        long start = 5_000;
        // seven clients trickle one call a second (they hold small leases); client 0 turns busy at 5 s
        LeaseSimulation s = new LeaseSimulation(R, B, CLIENTS, LEASE).run(65_000,
            (c, ms) -> c == 0 ? (ms >= start ? LeaseSimulation.SATURATED : 0) : (ms % 1000 == c * 100 ? 1 : 0), null);
        long d = s.leaseNanos() / 1_000_000;

        assertWindowsBounded(s, 0, 65_000);
        long afterTwoLeases = s.admittedBy(0, start + 2 * d, start + 3 * d);
        assertThat(afterTwoLeases).as("busy client's admissions in the third lease period (%d ms)", d)
            .isGreaterThanOrEqualTo((long) (0.95 * R * d / 1000));
        assertThat(s.admitted(start, start + 60_000)).isGreaterThanOrEqualTo((long) (0.98 * R * 60));
    }

    @Test
    void demandShiftingEvery10s_staysWithinRwPlusB_andUsesTheQuota() {
        // in each 10 s period two clients are busy and the others idle; the busy pair moves on every 10 s
        LeaseSimulation s = new LeaseSimulation(R, B, CLIENTS, LEASE).run(60_000, (c, ms) -> {
            int period = (int) (ms / 10_000);
            return c == period % CLIENTS || c == (period + 3) % CLIENTS ? LeaseSimulation.SATURATED : 0;
        }, null);

        assertWindowsBounded(s, 0, 60_000);
        assertThat(s.admitted(0, 60_000)).isGreaterThanOrEqualTo((long) (0.98 * R * 60));
    }

    @Test
    void authorityStopped_clientsRunAtSafeRateNeverAboveR_andRecover() {
        long down = 10_000;
        long up = 20_000;
        LeaseSimulation s = new LeaseSimulation(R, B, 4, LEASE);
        s.run(30_000, (c, ms) -> LeaseSimulation.SATURATED, ms -> s.authority.up = ms < down || ms >= up);
        long d = s.leaseNanos() / 1_000_000;

        assertWindowsBounded(s, 0, 30_000);
        // once the last leases have run out, the clients admit at R / 4 each: never above R in any second
        assertThat(s.maxInWindow(1000, down + d, up)).isLessThanOrEqualTo((long) R);
        // ... and not at zero: the safe rate is a rate
        assertThat(s.admitted(down + d, up)).isGreaterThanOrEqualTo((long) (0.9 * R * (up - down - d) / 1000));
        for (LeasedTokenBucket b : s.buckets) {
            assertThat(b.authorityFailures()).isPositive();
            assertThat(b.inFallback()).isFalse();
        }
        // back to leases and full utilisation once a retry (backoff capped at 2 s) has reached the returned authority
        long back = up + 2_000 + d;
        assertThat(s.admitted(back, 30_000)).isGreaterThanOrEqualTo((long) (0.98 * R * (30_000 - back) / 1000));
        assertThat(s.maxInWindow(1000, back, 30_000)).isLessThanOrEqualTo((long) R + 1);
    }

    @Test
    void authorityStopped_withFewerBusyClientsThanKnown_neverExceedsR() {
        // clients 2..7 go idle at 5 s and wake up at 12 s, while the authority is down (8 s to 20 s): they must not
        // believe they are alone, or the sum of safe rates would exceed R
        LeaseSimulation s = new LeaseSimulation(R, B, CLIENTS, LEASE);
        s.run(20_000, (c, ms) -> c < 2 || ms < 5_000 || ms >= 12_000 ? LeaseSimulation.SATURATED : 0,
            ms -> s.authority.up = ms < 8_000);
        assertWindowsBounded(s, 0, 20_000);
        assertThat(s.maxInWindow(1000, 8_000 + s.leaseNanos() / 1_000_000, 20_000)).isLessThanOrEqualTo((long) R);
        assertThat(s.admitted(13_000, 20_000)).as("safe rate R/8 for each of 8 busy clients")
            .isGreaterThanOrEqualTo((long) (0.9 * R * 7));
    }

    @Test
    void authorityRequestsPerClientPerSecond_doNotDependOnR() {
        double[] perClientPerSecond = new double[3];
        double[] rates = {100, 1_000, 100_000};
        for (int k = 0; k < rates.length; k++) {
            double r = rates[k];
            LeaseSimulation s = new LeaseSimulation(r, (long) r, CLIENTS, LEASE)
                .run(30_000, (c, ms) -> LeaseSimulation.SATURATED, null);
            long requests = 0;
            for (int sec = 10; sec < 30; sec++) {
                requests += s.requestsAt[sec];
            }
            perClientPerSecond[k] = requests / 20.0 / CLIENTS;
            assertWindowsBounded(s, 0, 30_000, r, (long) r);
            assertThat(s.admitted(0, 30_000)).isGreaterThanOrEqualTo((long) (0.98 * r * 30));
            System.out.printf(Locale.ROOT, "R=%.0f/s lease=%d ms: %.2f authority requests per client per second%n", r,
                s.leaseNanos() / 1_000_000, perClientPerSecond[k]);
        }
        for (double v : perClientPerSecond) {
            assertThat(v).isBetween(1.0, 10.0);
            assertThat(v / perClientPerSecond[0]).isBetween(0.8, 1.25);
        }
    }

    /**
     * Issue 10 follow-up: with an authority round trip longer than a quarter lease, the renewal (sent a
     * quarter lease before the lapse) answered only after the lease had ended, so the end of every
     * lease went unused. The documented defaults (burst one second of R, lease period 1 s: leases of
     * 500 ms) and a round trip of 40% of the lease (200 ms, +-10% seeded jitter, half of it before the
     * authority grants). Each client wants its share of R, spread evenly over time (a pipeline keeping
     * R busy): over the run they must get at least 95% of R, and never more than R*w + B.
     */
    @Test
    void Q_slowAuthorityLeavesNoGapAtTheEndOfEveryLease_clientsUseAtLeast95PercentOfR() {
        long lease = 500_000_000L;
        LeaseSimulation s = new LeaseSimulation(R, B, CLIENTS, LEASE, lease * 2 / 5, 42);
        assertThat(s.leaseNanos()).as("default lease").isEqualTo(lease);
        s.run(60_000, LeasedTokenBucketSimulationTest::evenShareOfR, null);

        assertWindowsBounded(s, 0, 60_000);
        assertThat(s.admitted(0, 60_000)).as("admitted in 60 s at R = %s", R).isGreaterThanOrEqualTo((long) (0.95 * R * 60));
    }

    /** R / CLIENTS attempts a second per client, spread evenly (client c offset by c ms). */
    static int evenShareOfR(int client, long ms) {
        double perMs = R / CLIENTS / 1000;
        long t = ms + client;
        return (int) (Math.floor((t + 1) * perMs) - Math.floor(t * perMs));
    }

    static void assertWindowsBounded(LeaseSimulation s, long fromMs, long toMs, double r, long b) {
        for (int w : new int[] {1000, 10_000}) {
            assertThat(s.maxInWindow(w, fromMs, toMs)).as("R=%s window %d ms", r, w)
                .isLessThanOrEqualTo((long) (r * w / 1000) + b);
        }
    }
}
