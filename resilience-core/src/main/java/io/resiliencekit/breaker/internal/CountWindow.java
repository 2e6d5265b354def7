package io.resiliencekit.breaker.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The last {@code size} outcomes. Outcomes are numbered by {@link #outcomes} (a striped counter);
 * failures and slow calls are kept as marks holding their number, so the window holds the marks
 * numbered above {@code count - size}. Successes only count.
 *
 * <p>Successes run in one of three modes, read from one volatile field:
 * <ul>
 *   <li><b>counting</b>: a success increments the striped counter (no lock). The usual mode.
 *   <li><b>clean</b>: the window is full and holds no mark, so a success that replaces the oldest
 *       success changes nothing: it is not even counted (no write at all). About one success in
 *       {@value #SETTLE_EVERY} of the counting mode checks, without a lock, whether the last mark
 *       has slid out, and switches to clean if so.
 *   <li><b>locked</b>: the next successes might open the breaker (the window is short of
 *       {@code minimumCalls} and its failures already reach a threshold at {@code minimumCalls}),
 *       so each success goes through {@link #record}.
 * </ul>
 *
 * <p>Only {@link #record} and {@link #clear} (under the lock) set the mode, to whatever their
 * counts call for; the one lock-free change is counting to clean, by compare-and-set from the
 * exact value read, so it fails if a failure or clear has set the mode since. If it wins just
 * before a failure sets the mode back, the successes not counted in between ran concurrently with
 * that failure and can be ordered before it, in a window of successes only, where they change
 * nothing: the failure's number and the window stay what an exact count would give.
 */
public final class CountWindow extends OutcomeWindow {

    private static final int FAILURE = 1;
    private static final int SLOW = 2;

    /** Mode values; any positive value means counting, and is the count at which the window is clean. */
    private static final long LOCKED = 0L;
    private static final long CLEAN = -1L;

    /** A counting success checks for cleanliness with probability 1 / this. */
    static final int SETTLE_EVERY = 64;

    private static final VarHandle MODE;

    static {
        try {
            MODE = MethodHandles.lookup().findVarHandle(CountWindow.class, "mode", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int size;
    private volatile long mode;

    // Guarded by the breaker's lock.
    private long base; // outcomes.sum() when the window was last cleared
    private long[] marks = new long[8]; // ring of (number << 2 | FAILURE | SLOW), oldest first
    private int head;
    private int markCount;
    private int failures;
    private int slow;

    public CountWindow(int size, OpeningRule rule) {
        super(rule);
        this.size = size;
        settle(0L, 0L);
    }

    @Override
    public boolean tryRecordFastSuccess() {
        long m = mode;
        if (m > 0) {
            outcomes.increment();
            if ((ThreadLocalRandom.current().nextInt() & (SETTLE_EVERY - 1)) == 0 && outcomes.sum() >= m) {
                // Fails if a failure or a clear changed the mode meanwhile: that mode stands.
                MODE.compareAndSet(this, m, CLEAN);
            }
            return true;
        }
        return m == CLEAN;
    }

    @Override
    public boolean needsClock() {
        return false;
    }

    @Override
    public boolean record(long nowNanos, boolean failure, boolean isSlow) {
        outcomes.increment();
        long number = outcomes.sum();
        if (failure || isSlow) {
            addMark(number, (failure ? FAILURE : 0) | (isSlow ? SLOW : 0));
        }
        dropMarksUpTo(number - size);
        long calls = Math.min(number - base, size);
        boolean opens = rule.opens(failures, slow, calls);
        if (!opens) {
            settle(number, calls);
        }
        return opens;
    }

    @Override
    public long calls(long nowNanos) {
        long number = outcomes.sum();
        dropMarksUpTo(number - size);
        return Math.min(number - base, size);
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
    public void clear(long nowNanos) {
        base = outcomes.sum();
        if (marks.length > 64) {
            marks = new long[8];
        }
        head = 0;
        markCount = 0;
        failures = 0;
        slow = 0;
        settle(base, 0L);
    }

    /** Chooses how the next successes are recorded; {@code number} is the count now. */
    private void settle(long number, long calls) {
        if (!rule.successesCannotOpen(failures, slow, calls)) {
            mode = LOCKED;
            return;
        }
        long cleanAt = base + size; // full...
        if (markCount > 0) {
            cleanAt = Math.max(cleanAt, (marks[(head + markCount - 1) & (marks.length - 1)] >>> 2) + size); // ...and markless
        }
        mode = number >= cleanAt ? CLEAN : cleanAt;
    }

    private void addMark(long number, int flags) {
        if (markCount == marks.length) {
            long[] grown = new long[marks.length * 2];
            for (int i = 0; i < markCount; i++) {
                grown[i] = marks[(head + i) & (marks.length - 1)];
            }
            marks = grown;
            head = 0;
        }
        marks[(head + markCount) & (marks.length - 1)] = number << 2 | flags;
        markCount++;
        if ((flags & FAILURE) != 0) {
            failures++;
        }
        if ((flags & SLOW) != 0) {
            slow++;
        }
    }

    private void dropMarksUpTo(long number) {
        while (markCount > 0) {
            long m = marks[head];
            if ((m >>> 2) > number) {
                return;
            }
            if ((m & FAILURE) != 0) {
                failures--;
            }
            if ((m & SLOW) != 0) {
                slow--;
            }
            head = (head + 1) & (marks.length - 1);
            markCount--;
        }
    }
}
