package io.resiliencekit.time;

import java.util.concurrent.locks.LockSupport;

enum SystemTicker implements Ticker {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public long epochMillis() {
        return System.currentTimeMillis();
    }

    /** Below this a wait spins: parking costs a timer slack of about 50 us, so a 1 us wait would take 50. */
    private static final long SPIN_NANOS = 50_000L;

    /**
     * Waits {@code nanos} as configured, not rounded up to a millisecond ({@code Thread.sleep(0, 1)}
     * sleeps about 1.1 ms): short waits spin, longer ones park until the deadline. An interrupt ends
     * the wait at once.
     */
    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (nanos <= 0) {
            return;
        }
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            if (left < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, left);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }
}
