package io.resiliencekit.time;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} on virtual time for tests and simulations: time moves only when
 * {@link #advance(Duration)} or {@link #sleepNanos(long)} is called, so no test ever sleeps.
 *
 * <pre>{@code
 * ManualTicker ticker = new ManualTicker();
 * ticker.advance(Duration.ofSeconds(2));
 * assert ticker.sleptNanos() == 0;
 * }</pre>
 *
 * <p>Thread-safe; {@link #sleepNanos(long)} still honours interrupts.
 */
public final class ManualTicker implements Ticker {

    private static final long DEFAULT_EPOCH_MILLIS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    private final AtomicLong nanos = new AtomicLong();
    private final AtomicLong slept = new AtomicLong();
    private final long epochOffsetMillis;

    public ManualTicker() {
        this(DEFAULT_EPOCH_MILLIS);
    }

    /** @param epochMillis the wall-clock time that virtual time zero stands for */
    public ManualTicker(long epochMillis) {
        this.epochOffsetMillis = epochMillis;
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public long epochMillis() {
        return epochOffsetMillis + nanos.get() / 1_000_000L;
    }

    /** Advances virtual time by the requested amount instead of blocking. */
    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (nanos > 0) {
            slept.addAndGet(nanos);
            this.nanos.addAndGet(nanos);
        }
    }

    public ManualTicker advance(Duration duration) {
        return advanceNanos(duration.toNanos());
    }

    public ManualTicker advanceNanos(long delta) {
        if (delta < 0) {
            throw new IllegalArgumentException("time cannot go backwards: " + delta);
        }
        nanos.addAndGet(delta);
        return this;
    }

    /** Total virtual time spent in {@link #sleepNanos(long)}. */
    public long sleptNanos() {
        return slept.get();
    }
}
