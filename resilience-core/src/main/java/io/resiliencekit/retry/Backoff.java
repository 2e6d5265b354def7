package io.resiliencekit.retry;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with a cap and one of the four {@link Jitter} modes. Immutable and
 * {@link Serializable}; the random source is passed in, so a seeded generator gives a
 * reproducible sequence.
 *
 * <pre>{@code
 * Backoff b = Backoff.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10), Jitter.FULL);
 * RandomGenerator rnd = new SplittableRandom(42);
 * long first = b.delayNanos(1, 0, rnd);       // U(0, 100 ms)
 * long second = b.delayNanos(2, first, rnd);  // U(0, 200 ms)
 * }</pre>
 */
public final class Backoff implements Serializable {

    private static final long serialVersionUID = 1L;

    private final long baseNanos;
    private final double multiplier;
    private final long capNanos;
    private final Jitter jitter;

    private Backoff(long baseNanos, double multiplier, long capNanos, Jitter jitter) {
        this.baseNanos = baseNanos;
        this.multiplier = multiplier;
        this.capNanos = capNanos;
        this.jitter = Objects.requireNonNull(jitter, "jitter");
    }

    /** Validated by {@link RetryBuilder}; here only the invariants the arithmetic needs. */
    public static Backoff exponential(Duration base, double multiplier, Duration cap, Jitter jitter) {
        long b = base.toNanos();
        long c = cap.toNanos();
        if (b < 0 || c < b || !(multiplier >= 1.0)) {
            throw new IllegalArgumentException("backoff needs 0 <= base <= cap and multiplier >= 1, was base="
                + base + ", cap=" + cap + ", multiplier=" + multiplier);
        }
        return new Backoff(b, multiplier, c, jitter);
    }

    public Duration base() {
        return Duration.ofNanos(baseNanos);
    }

    public double multiplier() {
        return multiplier;
    }

    public Duration cap() {
        return Duration.ofNanos(capNanos);
    }

    public Jitter jitter() {
        return jitter;
    }

    /** The un-jittered delay before retry {@code n} (1-based): {@code min(cap, base * multiplier^(n-1))}. */
    public long exponentialNanos(int retry) {
        double e = baseNanos * Math.pow(multiplier, Math.max(0, retry - 1));
        return e >= capNanos ? capNanos : (long) e;
    }

    /**
     * The delay before retry {@code n} (1-based).
     *
     * @param previousNanos the delay used before the previous retry (only {@link Jitter#DECORRELATED}
     *                      uses it; pass 0 for the first retry)
     */
    public long delayNanos(int retry, long previousNanos, RandomGenerator random) {
        switch (jitter) {
            case NONE:
                return exponentialNanos(retry);
            case FULL:
                return uniform(random, 0, exponentialNanos(retry));
            case EQUAL: {
                long e = exponentialNanos(retry);
                return e / 2 + uniform(random, 0, e - e / 2);
            }
            case DECORRELATED: {
                long prev = previousNanos <= 0 ? baseNanos : previousNanos;
                long upper = (long) Math.min((double) Long.MAX_VALUE / 2, 3.0 * prev);
                return Math.min(capNanos, uniform(random, baseNanos, Math.max(baseNanos, upper)));
            }
            default:
                throw new AssertionError(jitter);
        }
    }

    /** Uniform in [lo, hi]; hi == lo yields lo. */
    private static long uniform(RandomGenerator random, long lo, long hi) {
        if (hi <= lo) {
            return lo;
        }
        return lo + (long) (random.nextDouble() * (hi - lo));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Backoff)) {
            return false;
        }
        Backoff b = (Backoff) o;
        return baseNanos == b.baseNanos && Double.compare(multiplier, b.multiplier) == 0
            && capNanos == b.capNanos && jitter == b.jitter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(baseNanos, multiplier, capNanos, jitter);
    }

    @Override
    public String toString() {
        return "Backoff{base=" + base() + ", multiplier=" + multiplier + ", cap=" + cap() + ", jitter=" + jitter + '}';
    }
}
