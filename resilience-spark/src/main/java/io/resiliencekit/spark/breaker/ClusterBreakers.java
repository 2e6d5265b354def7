package io.resiliencekit.spark.breaker;

import java.util.Optional;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.spark.ClusterCoordinator;
import io.resiliencekit.spark.ResilienceCluster;

/**
 * Shares circuit breakers across the Spark application through the driver's breaker board: once
 * bound, one JVM's OPEN verdict opens the breaker of the same name everywhere, and half-open
 * trials are rationed cluster-wide. Without {@link io.resiliencekit.spark.ResiliencePlugin} the
 * breaker stays local (after one warning).
 *
 * <pre>{@code
 * // inside mapPartitions, on the executor:
 * ResiliencePolicy policy = ClusterBreakers.share(PolicyRegistry.shared().policy(config));
 * // or, the same: ResilienceCluster.policy(config)
 * }</pre>
 */
public final class ClusterBreakers {

    private static volatile ExecutorBreakerBoard board;

    private ClusterBreakers() {
    }

    /** Binds the policy's circuit breaker (if it has one) to the cluster board; returns the policy. */
    public static ResiliencePolicy share(ResiliencePolicy policy) {
        policy.circuitBreaker().ifPresent(ClusterBreakers::share);
        return policy;
    }

    /** The JVM's shared runtime for {@code config}, with its breaker bound to the cluster board. */
    public static ResiliencePolicy sharedPolicy(io.resiliencekit.policy.ResiliencePolicyConfig config) {
        return share(io.resiliencekit.policy.PolicyRegistry.shared().policy(config));
    }

    /** Binds {@code breaker} to the cluster board (idempotent); returns it. */
    public static CircuitBreaker share(CircuitBreaker breaker) {
        boardForJvm("circuit breaker '" + breaker.name() + "'").ifPresent(b -> b.bind(breaker));
        return breaker;
    }

    /** This JVM's board client, if the plugin runs here. */
    static Optional<ExecutorBreakerBoard> boardForJvm(String component) {
        Optional<ClusterCoordinator> c = ResilienceCluster.coordinatorOrWarn(component);
        if (c.isEmpty()) {
            return Optional.empty();
        }
        synchronized (ClusterBreakers.class) {
            ExecutorBreakerBoard b = board;
            if (b == null || b.coordinator() != c.get()) {
                if (b != null) {
                    b.close();
                }
                b = new ExecutorBreakerBoard(c.get(), ResilienceCluster.options());
                board = b;
            }
            return Optional.of(b);
        }
    }
}
