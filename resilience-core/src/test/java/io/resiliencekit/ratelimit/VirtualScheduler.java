package io.resiliencekit.ratelimit;

import io.resiliencekit.time.ManualTicker;
import java.util.PriorityQueue;

/** Runs lease work on virtual time: {@link #runDue()} runs every task whose time has come. */
final class VirtualScheduler implements LeaseScheduler {

    private final ManualTicker ticker;
    private final long executeLatencyNanos;
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long seq;
    private java.util.function.Consumer<Runnable> runner = Runnable::run;

    private static final class Task implements Comparable<Task> {
        final long at;
        final long seq;
        final Runnable r;

        Task(long at, long seq, Runnable r) {
            this.at = at;
            this.seq = seq;
            this.r = r;
        }

        @Override
        public int compareTo(Task o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    /** @param executeLatencyNanos how long an "asynchronous" request takes to start (models the round trip) */
    VirtualScheduler(ManualTicker ticker, long executeLatencyNanos) {
        this.ticker = ticker;
        this.executeLatencyNanos = executeLatencyNanos;
    }

    /** How due tasks are run (default: inline); a slow-authority model runs them where they can block on virtual time. */
    void runWith(java.util.function.Consumer<Runnable> runner) {
        this.runner = runner;
    }

    @Override
    public synchronized void execute(Runnable task) {
        queue.add(new Task(ticker.nanoTime() + executeLatencyNanos, seq++, task));
    }

    @Override
    public synchronized void schedule(Runnable task, long delayNanos) {
        queue.add(new Task(ticker.nanoTime() + Math.max(0, delayNanos), seq++, task));
    }

    void runDue() {
        for (;;) {
            Task t;
            synchronized (this) {
                t = queue.peek();
                if (t == null || t.at > ticker.nanoTime()) {
                    return;
                }
                queue.poll();
            }
            runner.accept(t.r);
        }
    }
}
