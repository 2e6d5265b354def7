package io.resiliencekit.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The rate bound in a split brain (issue 14, done-when 4, on virtual time; the local-cluster test
 * repeats it with executor JVMs): some clients are cut off from the authority while the others
 * still reach it. Before, the cut-off ones ran at their safe rate on top of the leases of the
 * others (up to {@code 2R*w + B}); now the authority keeps their fallback aside. Settings: the
 * defaults (burst one second of rate, lease period 1 s), R = 1000/s.
 */
class SplitBrainSimulationTest {

    static final double R = 1000;
    static final long B = 1000;

    /** n saturated clients, each behind its own switch in front of one authority. */
    static final class Split {
        final ManualTicker ticker = new ManualTicker();
        final VirtualScheduler scheduler = new VirtualScheduler(ticker, 1_000_000L);
        final InProcessTokenAuthority authority = new InProcessTokenAuthority(ticker);
        final boolean[] reachable;
        final LeasedTokenBucket[] buckets;
        long[] perMs;

        Split(int n) {
            reachable = new boolean[n];
            buckets = new LeasedTokenBucket[n];
            for (int i = 0; i < n; i++) {
                int me = i;
                reachable[i] = true;
                buckets[i] = TokenBucket.builder("split").rate(R).burst(B).ticker(ticker).scheduler(scheduler)
                    .clientId("client-" + i).buildLeased(r -> {
                        if (!reachable[me]) {
                            throw new TokenAuthorityException("cut off");
                        }
                        return authority.requestLease(r);
                    });
            }
        }

        Split run(long millis, java.util.function.LongConsumer hook, java.util.function.IntPredicate busy) {
            perMs = new long[(int) millis];
            for (long ms = 0; ms < millis; ms++) {
                hook.accept(ms);
                scheduler.runDue();
                for (int k = 0; k < buckets.length; k++) {
                    int i = (int) ((k + ms) % buckets.length);
                    if (!busy.test(i)) {
                        continue;
                    }
                    while (buckets[i].tryAcquire(1)) {
                        perMs[(int) ms]++;
                    }
                }
                ticker.advance(Duration.ofMillis(1));
            }
            return this;
        }

        long maxInWindow(int w) {
            return LeaseSimulation.maxInWindow(perMs, w, 0, perMs.length);
        }

        long admitted(long from, long to) {
            return LeaseSimulation.sum(perMs, from, to);
        }
    }

    @Test
    void oneClientCutOff_theOtherNot_admittedStaysWithinRwPlusBInEveryWindow() {
        // client 0 loses the authority from 10 s to 40 s; client 1 keeps it; both saturated throughout
        Split s = new Split(2);
        s.run(60_000, ms -> s.reachable[0] = ms < 10_000 || ms >= 40_000, i -> true);
        assertBounded(s, "1 of 2 cut off", 0);
        // ... and the quota is still used: the cut-off client at its fallback share, the other the rest
        assertThat(s.admitted(12_000, 40_000)).isGreaterThanOrEqualTo((long) (0.95 * R * 28));
        assertThat(s.buckets[0].inFallback()).isFalse();
    }

    @Test
    void twoOfFourCutOff_atDifferentTimes_stayWithinRwPlusB() {
        Split s = new Split(4);
        s.run(60_000, ms -> {
            s.reachable[0] = ms < 10_000 || ms >= 40_000;
            s.reachable[2] = ms < 20_000 || ms >= 30_000;
        }, i -> true);
        assertBounded(s, "2 of 4 cut off", 0);
        assertThat(s.admitted(22_000, 30_000)).isGreaterThanOrEqualTo((long) (0.95 * R * 8));
    }

    @Test
    void aClientCutOffWhileIdle_thatWakesUpStillCutOff_addsAtMostItsSafeRate() {
        // The known limit (see the guide): client 1 goes idle at 5 s and says so, is cut off from 8 s and
        // turns busy at 12 s while still cut off. Nothing was kept aside for it, so it runs at its safe rate
        // R/2 on top of what client 0 leases: within R*w + B + (R/2)*w, not R*w + B.
        Split idle = new Split(2);
        long[] now = {0};
        idle.run(30_000, ms -> {
            now[0] = ms;
            idle.reachable[1] = ms < 8_000;
        }, i -> i == 0 || now[0] < 5_000 || now[0] >= 12_000);
        assertBounded(idle, "idle when cut off", R / 2);
    }

    /** Every 1 s and 10 s window within (R + extra)*w + B. */
    static void assertBounded(Split s, String what, double extra) {
        long b1 = (long) (R + extra) + B;
        long b10 = (long) (10 * (R + extra)) + B;
        System.out.printf(Locale.ROOT, "%s: max in any 1 s %d (bound %d), in any 10 s %d (bound %d)%n", what,
            s.maxInWindow(1000), b1, s.maxInWindow(10_000), b10);
        assertThat(s.maxInWindow(1000)).as("any 1 s window").isLessThanOrEqualTo(b1);
        assertThat(s.maxInWindow(10_000)).as("any 10 s window").isLessThanOrEqualTo(b10);
    }
}
