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

    /** A JVM-wide pool of two daemon threads shared by all leased buckets. */
    static LeaseScheduler daemon() {
        return DaemonScheduler.INSTANCE;
    }
}

/** Two threads: one lease request blocked on a slow authority does not delay another bucket's expiry. */
final class DaemonScheduler implements LeaseScheduler {

    static final DaemonScheduler INSTANCE = new DaemonScheduler();

    private final ScheduledThreadPoolExecutor pool;

    private DaemonScheduler() {
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
        pool.execute(task);
    }

    @Override
    public void schedule(Runnable task, long delayNanos) {
        pool.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }
}
