package io.resiliencekit.breaker.internal;

/** The last {@code size} outcomes, in a ring of bytes. */
public final class CountWindow extends OutcomeWindow {

    private static final byte FAILURE = 1;
    private static final byte SLOW = 2;

    private final byte[] ring;
    private int next;
    private int count;
    private int failures;
    private int slow;

    public CountWindow(int size) {
        this.ring = new byte[size];
    }

    @Override
    public boolean needsClock() {
        return false;
    }

    @Override
    public void record(long nowNanos, boolean failure, boolean isSlow) {
        byte outcome = (byte) ((failure ? FAILURE : 0) | (isSlow ? SLOW : 0));
        if (count == ring.length) {
            byte old = ring[next];
            if ((old & FAILURE) != 0) {
                failures--;
            }
            if ((old & SLOW) != 0) {
                slow--;
            }
        } else {
            count++;
        }
        ring[next] = outcome;
        if (failure) {
            failures++;
        }
        if (isSlow) {
            slow++;
        }
        next = next + 1 == ring.length ? 0 : next + 1;
        boolean clean = count == ring.length && failures == 0 && slow == 0;
        if (clean != cleanFull) {
            cleanFull = clean;
        }
    }

    @Override
    public int calls(long nowNanos) {
        return count;
    }

    @Override
    public int failures() {
        return failures;
    }

    @Override
    public int slowCalls() {
        return slow;
    }

    @Override
    public void clear() {
        java.util.Arrays.fill(ring, (byte) 0);
        next = 0;
        count = 0;
        failures = 0;
        slow = 0;
        cleanFull = false;
    }
}
