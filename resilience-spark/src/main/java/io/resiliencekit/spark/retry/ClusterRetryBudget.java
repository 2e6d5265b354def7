package io.resiliencekit.spark.retry;

import java.util.Objects;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spi.RetryBudget;
import io.resiliencekit.time.Ticker;

/**
 * An executor's view of its policy's one budget for the application ({@link DriverRetryBudgets}):
 * each retry asks the driver for a token and reports the calls made since the last ask (a
 * failure-path round trip, never on the success path). After a refusal it does not ask again
 * until its own new calls have earned a token or a second has passed (other executors' calls may
 * have), so a dependency that is down costs about one ask per {@code 1 / ratio} calls. When the
 * driver cannot be reached, it spends only what its own unreported calls earned (no reserve), so
 * the application's bound still holds.
 *
 * <pre>{@code
 * RetryBudget budget = new ClusterRetryBudget(coordinator, "orders", 0.2, 50, metrics::calls);
 * }</pre>
 */
public final class ClusterRetryBudget implements RetryBudget {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterRetryBudget.class);
    private static final long ASK_AGAIN_NANOS = 1_000_000_000L;

    private final ClusterCoordinator coordinator;
    private final String policy;
    private final double ratio;
    private final int reserve;
    private final LongSupplier calls;
    private final Ticker ticker;

    private long reported;          // calls reported to the driver or spent locally
    private long refusedAt = Long.MIN_VALUE;
    private double localCredit;     // earned by calls the driver never heard of (it was unreachable)
    private boolean warned;

    public ClusterRetryBudget(ClusterCoordinator coordinator, String policy, double ratio, int reserve, LongSupplier calls) {
        this(coordinator, policy, ratio, reserve, calls, Ticker.system());
    }

    public ClusterRetryBudget(ClusterCoordinator coordinator, String policy, double ratio, int reserve, LongSupplier calls,
                              Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.ratio = ratio;
        this.reserve = reserve;
        this.calls = Objects.requireNonNull(calls, "calls");
    }

    @Override
    public synchronized boolean tryWithdraw() {
        long now = calls.getAsLong();
        long fresh = Math.max(0, now - reported);
        long t = ticker.nanoTime();
        if (refusedAt != Long.MIN_VALUE && ratio * fresh < 1 && t - refusedAt < ASK_AGAIN_NANOS) {
            return false; // refused a moment ago and nothing new to deposit: the answer would be the same
        }
        try {
            RetryTokens.Grant g = coordinator.ask(DriverRetryBudgets.TOKENS,
                    new RetryTokens.Ask(policy, ratio, reserve, fresh, 1));
            reported = now;
            warned = false;
            if (g.granted() > 0) {
                refusedAt = Long.MIN_VALUE;
                return true;
            }
            refusedAt = t;
            return false;
        } catch (ClusterCoordinationException e) {
            // the driver is unreachable: our own new calls earn what they would have deposited, nothing more
            if (!warned) {
                warned = true;
                LOG.warn("retry budget of policy '{}': the driver is unreachable ({}); retrying only as much as this"
                        + " executor's own calls earn until it answers", policy, e.getMessage());
            }
            localCredit = Math.min(reserve, localCredit + ratio * fresh);
            reported = now;
            if (localCredit >= 1) {
                localCredit -= 1;
                return true;
            }
            return false;
        }
    }

    @Override
    public String toString() {
        return "ClusterRetryBudget[" + policy + ", ratio=" + ratio + ", reserve=" + reserve + "]";
    }
}
