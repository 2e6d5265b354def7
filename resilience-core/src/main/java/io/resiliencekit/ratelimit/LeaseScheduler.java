package io.resiliencekit.ratelimit;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a {@link LeasedTokenBucket} runs its background work: lease requests (which may block on
 * the network or a database) and lease expiry. Production code uses {@link #daemon()}; simulations
 * inject one that runs tasks on virtual time.
 *
 * <pre>{@code
 * LeasedTokenBucket b = TokenBucket.builder("api").rate(100).scheduler(LeaseScheduler.daemon()).buildLeased(authority);
 * }</pre>
 */
public interface LeaseScheduler {

    /** Runs {@code task} soon, off the caller's thread. */
    void execute(Runnable task);

    /** Runs {@code task} after {@code delayNanos} (at once if not positive). */
    void schedule(Runnable task, long delayNanos);

    /**
     * A new pool of two daemon threads; whoever makes it owns it and closes it (a runtime shares one
     * among all its leased buckets; a bucket built on its own closes its own).
     */
    static Daemon daemon() {
        return new Daemon();
    }

    /** Stops the scheduler's threads; tasks not yet run are dropped. */
    default void close() {
    }

    /** Two threads: one lease request blocked on a slow authority does not delay another bucket's expiry. */
    final class Daemon implements LeaseScheduler, AutoCloseable {

        private final ScheduledThreadPoolExecutor pool;

        private Daemon() {
            AtomicInteger n = new AtomicInteger();
            pool = new ScheduledThreadPoolExecutor(2, r -> {
                Thread t = new Thread(r, "resiliencekit-lease-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            pool.setRemoveOnCancelPolicy(true);
        }

        @Override
        public void execute(Runnable task) {
            try {
                pool.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // closed: the bucket is gone too
            }
        }

        @Override
        public void schedule(Runnable task, long delayNanos) {
            try {
                pool.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // closed
            }
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }
}
