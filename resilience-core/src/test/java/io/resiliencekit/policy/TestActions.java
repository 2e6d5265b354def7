package io.resiliencekit.policy;

import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.time.Ticker;
import java.util.concurrent.atomic.AtomicInteger;

/** Actions and clocks the policy tests share. */
final class TestActions {

    private TestActions() {
    }

    /** Fails the first {@code k} attempts with {@code failure}, then returns the attempt number. */
    static CheckedSupplier<Integer> failingFirst(int k, AtomicInteger attempts, Exception failure) {
        return () -> {
            int n = attempts.incrementAndGet();
            if (n <= k) {
                throw failure;
            }
            return n;
        };
    }

    /** What a {@link #sleeping} ticker does when asked to wait (before delegating, if it returns). */
    @FunctionalInterface
    interface OnSleep {
        void sleep(long nanos) throws InterruptedException;
    }

    /** {@code clock}'s time, with {@code onSleep} run first whenever a wait is asked for. */
    static Ticker sleeping(Ticker clock, OnSleep onSleep) {
        return new Ticker() {
            @Override
            public long nanoTime() {
                return clock.nanoTime();
            }

            @Override
            public long epochMillis() {
                return clock.epochMillis();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                onSleep.sleep(nanos);
                clock.sleepNanos(nanos);
            }
        };
    }
}
