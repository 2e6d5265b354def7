package io.resiliencekit.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.event.EventType;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Single-threaded, {@link CircuitBreaker} (striped success counts, failures under the lock, fast
 * and clean modes) must decide exactly as {@link ReferenceBreaker} (every outcome in a list, rates
 * recomputed after each one): same state after every step, same transitions, same window counts.
 *
 * <p>Settings: random configs (count windows of 1 to 40 calls, time windows of 20 ms to 10 s,
 * minimum calls 1 to 50, thresholds from 5% to 100%, slow calls on in half of them, 1 to 5 trials,
 * open durations growing or not) from a fixed seed, because the point is to cover the corners of
 * the new recording (windows short of the minimum, full windows that go clean and back, buckets
 * that expire while successes run), which the defaults alone would not reach. Failure rates per
 * sequence from 0 to 70%, in bursts, with time moving in steps from nothing to several windows.
 */
class CircuitBreakerEquivalenceTest {

    private static final long SEED = 0x5EED_B4EA_C0DEL;
    private static final int SEQUENCES = 1_000;
    private static final int STEPS = 2_500;
    private static final RuntimeException BOOM = new IllegalStateException("boom");

    @Test
    void countAndTimeWindowsDecideExactlyAsTheReferenceModel() {
        SplittableRandom seeds = new SplittableRandom(SEED);
        int opened = 0;
        int cleanRuns = 0;
        for (int s = 0; s < SEQUENCES; s++) {
            long seed = seeds.nextLong();
            Stats stats = runSequence(seed, s);
            opened += stats.opens;
            cleanRuns += stats.longSuccessRuns;
        }
        // The sequences did reach the interesting places (not a test that cannot fail by never getting there).
        assertThat(opened).isGreaterThan(SEQUENCES);
        assertThat(cleanRuns).isGreaterThan(SEQUENCES / 4);
    }

    private record Stats(int opens, int longSuccessRuns) {
    }

    private static Stats runSequence(long seed, int index) {
        SplittableRandom r = new SplittableRandom(seed);
        ManualTicker ticker = new ManualTicker();
        CircuitBreakerConfig config = randomConfig(r);
        CircuitBreaker real = CircuitBreaker.of(config, ticker);
        ReferenceBreaker model = new ReferenceBreaker(config, ticker);
        List<String> realTransitions = new ArrayList<>();
        real.events().register(e -> {
            if (e.type() == EventType.BREAKER_TRANSITION) {
                realTransitions.add(e.detail());
            }
        });
        long bucket = Math.max(1, config.windowDuration().toNanos() / 20);
        long slowNanos = config.slowCallDurationThreshold().map(Duration::toNanos).orElse(1_000_000L);
        double failureRate = new double[] {0.0, 0.02, 0.1, 0.3, 0.5, 0.7}[r.nextInt(6)];
        ArrayDeque<String> log = new ArrayDeque<>();
        int run = 0;
        int longRuns = 0;
        int burst = 0;
        for (int step = 0; step < STEPS; step++) {
            String op;
            int dice = r.nextInt(100);
            if (dice < 8) {
                long by = r.nextInt(10) == 0 ? r.nextLong(bucket * 45) : r.nextLong(bucket + 1);
                ticker.advanceNanos(by);
                op = "advance " + by;
            } else if (dice < 10) {
                long left = config.openDuration().toNanos();
                ticker.advanceNanos(left);
                op = "advance open " + left;
            } else {
                boolean granted = real.tryAcquirePermission();
                if (granted != model.tryAcquirePermission()) {
                    fail("permission " + granted + " differs", seed, index, config, log, "acquire");
                }
                if (!granted) {
                    op = "refused";
                } else if (r.nextInt(200) == 0) {
                    real.releasePermission();
                    model.releasePermission();
                    op = "release";
                } else {
                    if (burst == 0 && r.nextInt(400) == 0) {
                        burst = 1 + r.nextInt(30); // a run of failures
                    }
                    boolean fail = burst > 0 || r.nextDouble() < failureRate;
                    burst = Math.max(0, burst - 1);
                    long d = duration(r, slowNanos);
                    if (fail) {
                        real.onFailure(d, BOOM);
                        model.onFailure(d);
                        op = "failure " + d;
                        run = 0;
                    } else {
                        real.onSuccess(d);
                        model.onSuccess(d);
                        op = "success " + d;
                        if (++run == 200) {
                            longRuns++;
                        }
                    }
                }
            }
            log.addLast(op);
            if (log.size() > 25) {
                log.removeFirst();
            }
            if (real.state() != model.state) {
                fail("state " + real.state() + ", model " + model.state, seed, index, config, log, op);
            }
            if (r.nextInt(20) == 0) { // not every step: in a time window, looking moves the window on
                CircuitBreakerMetrics m = real.metrics();
                int[] expected = model.metrics();
                int[] actual = {m.callsInWindow(), m.failedCalls(), m.slowCalls()};
                if (!Arrays.equals(actual, expected) || m.notPermittedCalls() != model.notPermitted
                    || m.consecutiveOpens() != model.consecutiveOpens()) {
                    fail("metrics " + m + ", model calls/failed/slow " + Arrays.toString(expected) + " refused "
                        + model.notPermitted + " opens " + model.consecutiveOpens(), seed, index, config, log, op);
                }
            }
        }
        assertThat(realTransitions).as(context(seed, index, config, log, "end")).isEqualTo(model.transitions);
        int opens = (int) model.transitions.stream().filter(t -> t.endsWith("->OPEN")).count();
        return new Stats(opens, longRuns);
    }

    /** Untimed, fast, or slow (at and around the slow-call threshold). */
    private static long duration(SplittableRandom r, long slowNanos) {
        switch (r.nextInt(6)) {
            case 0:
                return -1L;
            case 1:
                return slowNanos;
            case 2:
                return slowNanos - 1;
            default:
                return r.nextInt(10) == 0 ? slowNanos + r.nextLong(slowNanos) : r.nextLong(slowNanos);
        }
    }

    private static CircuitBreakerConfig randomConfig(SplittableRandom r) {
        CircuitBreakerBuilder b = CircuitBreakerConfig.builder("eq");
        if (r.nextBoolean()) {
            b.countWindow(1 + r.nextInt(40));
        } else {
            b.timeWindow(Duration.ofMillis(new long[] {20, 100, 1_000, 10_000}[r.nextInt(4)]));
        }
        b.minimumCalls(1 + r.nextInt(50));
        b.failureRateThreshold(new double[] {0.05, 0.2, 0.25, 0.5, 1.0 / 3, 0.75, 1.0}[r.nextInt(7)]);
        if (r.nextBoolean()) {
            b.slowCalls(Duration.ofMillis(1 + r.nextInt(100)), new double[] {0.1, 0.5, 0.8, 1.0}[r.nextInt(4)]);
        }
        b.permittedCallsInHalfOpen(1 + r.nextInt(5));
        b.openDuration(Duration.ofMillis(1 + r.nextInt(5_000)));
        if (r.nextInt(3) == 0) {
            b.openDurationGrowth(2.0, Duration.ofSeconds(20));
        }
        return b.build();
    }

    private static void fail(String what, long seed, int index, CircuitBreakerConfig config, ArrayDeque<String> log,
                             String op) {
        throw new AssertionError(what + " in " + context(seed, index, config, log, op));
    }

    private static String context(long seed, int index, CircuitBreakerConfig config, ArrayDeque<String> log, String op) {
        return "sequence " + index + " (seed " + seed + "), " + config + ", after " + op + "; last steps " + log;
    }
}
