package io.resiliencekit.time;

import java.time.Duration;

/**
 * The source of time and of waiting for every policy, so tests can run on virtual time.
 *
 * <p>Production code uses {@link #system()}; tests inject a {@link ManualTicker}, whose
 * {@link #sleepNanos(long)} advances the clock instead of blocking:
 *
 * <pre>{@code
 * ManualTicker ticker = new ManualTicker();
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders").ticker(ticker).build();
 * }</pre>
 */
public interface Ticker {

    /** Monotonic nanoseconds, like {@link System#nanoTime()}: only differences are meaningful. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch; used only for timestamps and HTTP-date hints. */
    long epochMillis();

    /**
     * Waits for the given time. Interrupts end the wait at once.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    void sleepNanos(long nanos) throws InterruptedException;

    default void sleep(Duration duration) throws InterruptedException {
        sleepNanos(duration.toNanos());
    }

    /** The real clock: {@link System#nanoTime()}, {@link System#currentTimeMillis()}, {@link Thread#sleep}. */
    static Ticker system() {
        return SystemTicker.INSTANCE;
    }
}
