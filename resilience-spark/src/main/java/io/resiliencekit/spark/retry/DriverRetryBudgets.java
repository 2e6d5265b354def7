package io.resiliencekit.spark.retry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.ServiceKey;

/**
 * The application's retry budgets, one per policy name, on the driver: every executor's calls
 * deposit {@code ratio} of a token, every retry anywhere withdraws one, and the balance never
 * exceeds the reserve, so over any interval the retries of all executors together are at most
 * {@code reserve + ratio * calls}, whatever the number of executors (a budget per JVM allows
 * {@code executors * reserve + ratio * calls}, and each executor's idle reserve is spent again).
 *
 * <p>Metrics: {@code retryBudget.granted} and {@code retryBudget.refused} (counters).
 *
 * <pre>{@code
 * ResilienceCluster.driverServices().component(DriverRetryBudgets.class).orElseThrow().balance("orders");
 * }</pre>
 */
public final class DriverRetryBudgets {

    private static final Logger LOG = LoggerFactory.getLogger(DriverRetryBudgets.class);

    /** The service executors ask. */
    public static final ServiceKey<RetryTokens.Ask, RetryTokens.Grant> TOKENS =
            ServiceKey.of("resiliencekit.retry.budget", RetryTokens.Ask.class, RetryTokens.Grant.class);

    private final Map<String, Budget> budgets = new ConcurrentHashMap<>();
    private final Counter granted;
    private final Counter refused;

    private static final class Budget {
        final double ratio;
        final double reserve;
        double balance;
        long calls;
        long withdrawn;

        Budget(double ratio, int reserve) {
            this.ratio = ratio;
            this.reserve = reserve;
            this.balance = reserve;
        }
    }

    public DriverRetryBudgets(MetricRegistry metrics) {
        this.granted = metrics.counter("retryBudget.granted");
        this.refused = metrics.counter("retryBudget.refused");
    }

    /** Registers the service with the plugin; driver code finds it as {@code services.component(DriverRetryBudgets.class)}. */
    public static DriverRetryBudgets install(DriverServices services) {
        DriverRetryBudgets b = new DriverRetryBudgets(services.metrics());
        services.register(TOKENS, (caller, ask) -> b.ask(ask));
        services.attach(DriverRetryBudgets.class, b);
        return b;
    }

    /** Deposits the new calls and grants what the balance allows. */
    public RetryTokens.Grant ask(RetryTokens.Ask ask) {
        Budget b = budgets.computeIfAbsent(ask.policy(), k -> new Budget(ask.ratio(), ask.reserve()));
        if (b.ratio != ask.ratio() || b.reserve != ask.reserve()) {
            // the first definition stands (the same spec is shipped to every executor; this is a user error)
            LOG.warn("retry budget of policy '{}': an executor declares ratio {} and reserve {}, the budget has {} and {};"
                    + " the budget's stand", ask.policy(), ask.ratio(), ask.reserve(), b.ratio, b.reserve);
        }
        synchronized (b) {
            b.calls += ask.newCalls();
            b.balance = Math.min(b.reserve, b.balance + b.ratio * ask.newCalls());
            int grant = (int) Math.min(ask.wanted(), Math.floor(b.balance));
            b.balance -= grant;
            b.withdrawn += grant;
            granted.inc(grant);
            refused.inc(ask.wanted() - grant);
            return new RetryTokens.Grant(grant, b.balance);
        }
    }

    /** The named policy's balance now, or -1 if no executor asked for it yet. */
    public double balance(String policy) {
        return read(policy, b -> b.balance, -1);
    }

    /** Retry tokens the named policy's budget has handed out so far (0 if none). */
    public long withdrawn(String policy) {
        return (long) read(policy, b -> b.withdrawn, 0);
    }

    /** Calls reported to the named policy's budget so far (0 if none). */
    public long calls(String policy) {
        return (long) read(policy, b -> b.calls, 0);
    }

    private double read(String policy, java.util.function.ToDoubleFunction<Budget> what, double unknown) {
        Budget b = budgets.get(policy);
        if (b == null) {
            return unknown;
        }
        synchronized (b) {
            return what.applyAsDouble(b);
        }
    }
}
