package io.resiliencekit.idempotency.internal;

import io.resiliencekit.time.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the background work of held keys: renewing each hold while its action runs, and recording a
 * completion (or release) that the store refused while it was down. It runs on its own threads, so a
 * hold lives as long as its JVM does, whichever thread (or none, for an asynchronous call) runs the
 * action. A runtime shares one among its guards; {@link #manual} runs on virtual time in tests.
 *
 * <pre>{@code
 * HoldKeeper keeper = HoldKeeper.daemon();
 * keeper.start(() -> store.renew(key, token, hold) ? periodNanos : HoldKeeper.Task.STOP, periodNanos);
 * }</pre>
 */
public abstract class HoldKeeper implements AutoCloseable {

    /** The one kind, name and spec under which a runtime shares its keeper. */
    public static final String KIND = "idempotency hold keeper";
    public static final String NAME = "default";

    /** A piece of background work that reschedules itself. */
    public interface Task {
        /** Returned by {@link #run()}: no further runs. */
        long STOP = -1L;

        /** Does the work; returns the delay in nanoseconds before the next run, or {@link #STOP}. */
        long run();

        /** The keeper closes (the runtime closes): last chance to finish, on the closing thread. */
        default void close() {
        }
    }

    /** A handle to stop a started task before its next run. */
    public interface Started {
        void stop();
    }

    /** Runs {@code task} after {@code delayNanos}, then as it asks. */
    public abstract Started start(Task task, long delayNanos);

    @Override
    public abstract void close();

    /** Two daemon threads, started on first use and ended after 10 s without work. */
    public static HoldKeeper daemon() {
        return new Daemon();
    }

    /** No threads: {@link Manual#runDue()} runs what is due on {@code ticker}'s time (tests on virtual time). */
    public static Manual manual(Ticker ticker) {
        return new Manual(ticker);
    }

    private static final class Daemon extends HoldKeeper {
        private final ScheduledThreadPoolExecutor pool;
        private final Set<Running> open = ConcurrentHashMap.newKeySet();

        Daemon() {
            AtomicInteger n = new AtomicInteger();
            pool = new ScheduledThreadPoolExecutor(2, r -> {
                Thread t = new Thread(r, "resiliencekit-hold-keeper-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            pool.setRemoveOnCancelPolicy(true);
            pool.setKeepAliveTime(10, TimeUnit.SECONDS);
            pool.allowCoreThreadTimeOut(true);
        }

        @Override
        public Started start(Task task, long delayNanos) {
            Running r = new Running(task);
            open.add(r);
            r.schedule(delayNanos);
            return r;
        }

        private final class Running implements Runnable, Started {
            private final Task task;
            private volatile boolean stopped;
            private volatile ScheduledFuture<?> next;

            Running(Task task) {
                this.task = task;
            }

            void schedule(long delayNanos) {
                try {
                    next = pool.schedule(this, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    forget();
                }
            }

            @Override
            public void run() {
                if (stopped) {
                    return;
                }
                long delay;
                try {
                    delay = task.run();
                } catch (RuntimeException | Error e) {
                    delay = Task.STOP; // a task that throws is broken: never spin on it
                }
                if (delay < 0 || stopped) {
                    forget();
                } else {
                    schedule(delay);
                }
            }

            @Override
            public void stop() {
                stopped = true;
                ScheduledFuture<?> f = next;
                if (f != null) {
                    f.cancel(false);
                }
                forget();
            }

            private void forget() {
                open.remove(this);
            }
        }

        @Override
        public void close() {
            pool.shutdownNow();
            List<Running> left = new ArrayList<>(open);
            open.clear();
            for (Running r : left) {
                r.task.close();
            }
        }
    }

    /** Runs due tasks when told to, on a ticker's time. */
    public static final class Manual extends HoldKeeper {
        private final Ticker ticker;
        private final List<long[]> due = new ArrayList<>();   // [dueNanos, index into tasks]
        private final List<Task> tasks = new ArrayList<>();

        private Manual(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
        }

        @Override
        public synchronized Started start(Task task, long delayNanos) {
            tasks.add(task);
            long[] slot = {ticker.nanoTime() + Math.max(0, delayNanos), tasks.size() - 1};
            due.add(slot);
            return () -> {
                synchronized (Manual.this) {
                    due.remove(slot);
                }
            };
        }

        /** Runs every task whose time has come (again, if it asks for a time that has come too); returns how many runs. */
        public int runDue() {
            int runs = 0;
            for (;;) {
                long[] slot = null;
                Task task = null;
                synchronized (this) {
                    long now = ticker.nanoTime();
                    for (long[] s : due) {
                        if (s[0] <= now && (slot == null || s[0] < slot[0])) {
                            slot = s;
                        }
                    }
                    if (slot != null) {
                        due.remove(slot);
                        task = tasks.get((int) slot[1]);
                    }
                }
                if (task == null) {
                    return runs;
                }
                runs++;
                long delay = task.run();
                if (delay >= 0) {
                    synchronized (this) {
                        slot[0] = ticker.nanoTime() + Math.max(1, delay);
                        due.add(slot);
                    }
                }
            }
        }

        /** Tasks waiting for their next run. */
        public synchronized int pending() {
            return due.size();
        }

        @Override
        public void close() {
            List<Task> left = new ArrayList<>();
            synchronized (this) {
                for (long[] s : due) {
                    left.add(tasks.get((int) s[1]));
                }
                due.clear();
            }
            for (Task t : left) {
                t.close();
            }
        }
    }
}
