package io.resiliencekit.spi;

import java.util.function.LongSupplier;

/**
 * What an environment with several JVMs (the Spark plugin) supplies to a runtime so that every
 * shareable capability is shared: one token authority for global rates, one idempotency ledger,
 * one breaker board, and optionally one retry budget per policy. A runtime bound to a cluster
 * ({@code ResilienceRuntime#bindCluster}) uses it for every spec whose scope is {@code auto} (the
 * default) or {@code cluster}.
 *
 * <pre>{@code
 * ResilienceRuntime runtime = ResilienceRuntime.builder().build();
 * runtime.bindCluster(myCluster);                    // e.g. the Spark plugin on each executor
 * ResiliencePolicy p = runtime.policy(config);       // limiter leased, breaker on the board, keys in the ledger
 * }</pre>
 *
 * <p>Implementations are called from many threads; lookups must be cheap (they happen when a
 * runtime creates a policy, not per call).
 */
public interface Cluster {

    /** For logs: which cluster and which member this JVM is, e.g. {@code "Spark app-42, executor 3"}. */
    String describe();

    /** This JVM's identity at the cluster's services (unique per JVM and cluster). */
    String clientId();

    /** The authority that owns every global rate of the cluster. */
    TokenAuthority tokenAuthority();

    /** The cluster's idempotency ledger. */
    IdempotencyStore ledger();

    /** The board through which breakers of the same name share their verdicts. */
    BreakerBoard breakerBoard();

    /**
     * One retry budget per policy for the whole cluster, or {@code null} to keep budgets per JVM
     * (the default).
     *
     * @param calls calls the policy has started in this JVM so far (monotonic), for the budget's deposits
     */
    default RetryBudget retryBudget(String policyName, double ratio, int reserve, LongSupplier calls) {
        return null;
    }
}
