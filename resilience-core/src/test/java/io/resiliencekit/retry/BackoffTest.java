package io.resiliencekit.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every jitter mode against its formula: bounds on every sample, and the mean within 2%. */
class BackoffTest {

    private static final int SAMPLES = 100_000;
    private static final long BASE = Duration.ofMillis(100).toNanos();
    private static final long CAP = Duration.ofSeconds(2).toNanos();
    private static final Backoff NONE = backoff(Jitter.NONE);

    private static Backoff backoff(Jitter jitter) {
        return Backoff.exponential(Duration.ofNanos(BASE), 2.0, Duration.ofNanos(CAP), jitter);
    }

    // attempts 1..7 cover the doubling (100 ms .. 1.6 s) and the cap (3.2 s and 6.4 s capped to 2 s)
    @ParameterizedTest(name = "retry {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void noJitterIsTheCappedExponential(int retry) {
        long expected = Math.min(CAP, BASE << (retry - 1));
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 1000; i++) {
            assertThat(NONE.delayNanos(retry, 0, rnd)).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "retry {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void fullJitterIsUniformBetweenZeroAndE(int retry) {
        Backoff b = backoff(Jitter.FULL);
        long e = NONE.exponentialNanos(retry);
        SplittableRandom rnd = new SplittableRandom(42 + retry);
        double sum = 0;
        for (int i = 0; i < SAMPLES; i++) {
            long d = b.delayNanos(retry, 0, rnd);
            assertThat(d).isBetween(0L, e);
            sum += d;
        }
        assertThat(sum / SAMPLES).isCloseTo(e / 2.0, within(0.02 * e / 2.0));
    }

    @ParameterizedTest(name = "retry {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void equalJitterIsHalfPlusUniformHalf(int retry) {
        Backoff b = backoff(Jitter.EQUAL);
        long e = NONE.exponentialNanos(retry);
        SplittableRandom rnd = new SplittableRandom(4242 + retry);
        double sum = 0;
        for (int i = 0; i < SAMPLES; i++) {
            long d = b.delayNanos(retry, 0, rnd);
            assertThat(d).isBetween(e / 2, e);
            sum += d;
        }
        assertThat(sum / SAMPLES).isCloseTo(0.75 * e, within(0.02 * 0.75 * e));
    }

    /** Decorrelated depends on the previous delay; test each attempt from the previous delays it sees. */
    @ParameterizedTest(name = "retry {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void decorrelatedJitterIsUniformBetweenBaseAndThreePreviousCapped(int retry) {
        Backoff b = backoff(Jitter.DECORRELATED);
        // the previous delay: base before the first retry, then a typical value for later attempts
        long previous = retry == 1 ? 0 : Math.min(CAP, BASE * (long) Math.pow(2, retry - 1));
        long p = previous == 0 ? BASE : previous;
        long hi = 3 * p;
        double expectedMean = hi <= CAP
            ? (BASE + hi) / 2.0
            : (((double) CAP * CAP - (double) BASE * BASE) / 2.0 + (double) CAP * (hi - CAP)) / (hi - BASE);
        SplittableRandom rnd = new SplittableRandom(777 + retry);
        double sum = 0;
        for (int i = 0; i < SAMPLES; i++) {
            long d = b.delayNanos(retry, previous, rnd);
            assertThat(d).isBetween(BASE, Math.min(CAP, hi));
            sum += d;
        }
        assertThat(sum / SAMPLES).isCloseTo(expectedMean, within(0.02 * expectedMean));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"NONE", "FULL", "EQUAL", "DECORRELATED"})
    void sameSeedSameSequence(String mode) {
        Backoff b = backoff(Jitter.valueOf(mode));
        SplittableRandom r1 = new SplittableRandom(99);
        SplittableRandom r2 = new SplittableRandom(99);
        long p1 = 0;
        long p2 = 0;
        for (int retry = 1; retry <= 20; retry++) {
            p1 = b.delayNanos(retry, p1, r1);
            p2 = b.delayNanos(retry, p2, r2);
            assertThat(p1).isEqualTo(p2);
        }
    }
}
