package io.resiliencekit.spi;

/**
 * Where a capability's shared state lives (a breaker's verdicts, a retry budget, a limiter's
 * bucket, an idempotency store's keys).
 *
 * <pre>{@code
 * CircuitBreakerConfig.builder("orders-api").scope(Scope.JVM).build();   // this JVM decides alone
 * }</pre>
 */
public enum Scope {
    /** The cluster's, when the runtime is bound to one ({@link Cluster}); this JVM's otherwise. The default. */
    AUTO,
    /** This JVM's (this runtime's) own, even in a cluster. */
    JVM,
    /** The cluster's; without a cluster, this JVM's, after one warning that says what is lost. */
    CLUSTER
}
