package io.resiliencekit.spark;

import io.resiliencekit.spark.breaker.ExecutorBreakerBoard;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.idempotency.ClusterLedgerStore;
import io.resiliencekit.spark.ratelimit.DriverTokenAuthority;
import io.resiliencekit.spark.ratelimit.SparkTokenAuthority;
import io.resiliencekit.spark.retry.ClusterRetryBudget;
import io.resiliencekit.spi.BreakerBoard;
import io.resiliencekit.spi.Cluster;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.RetryBudget;
import io.resiliencekit.spi.TokenAuthority;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The Spark application as a {@link Cluster}: what {@link ResiliencePlugin} binds to the JVM's
 * {@link io.resiliencekit.policy.ResilienceRuntime#shared() shared runtime} on every executor (and on
 * the driver), so a policy obtained anywhere in a task leases its rate from the driver's token
 * authority, shares its breaker's verdicts through the driver's board, claims its keys in the
 * driver's ledger and takes its retries from one budget per policy for the whole application.
 * Everything goes over the plugin's RPC ({@link ClusterCoordinator}).
 */
final class SparkCluster implements Cluster {

    private final ClusterCoordinator coordinator;
    private final PluginOptions options;
    private final DriverSide driver; // the driver side in this JVM (driver, local mode), else null
    private final SparkTokenAuthority authority;
    private final ClusterLedgerStore ledger;
    private final String clientId;
    private volatile ExecutorBreakerBoard board;

    SparkCluster(ClusterCoordinator coordinator, PluginOptions options, DriverSide driver) {
        this.coordinator = coordinator;
        this.options = options;
        this.driver = driver;
        this.authority = new SparkTokenAuthority(coordinator);
        this.ledger = new ClusterLedgerStore(coordinator, options.ledgerTtl());
        this.clientId = DriverTokenAuthority.clientIdOf(coordinator.executorId(), ProcessHandle.current().pid());
    }

    @Override
    public String describe() {
        return "the Spark application through ResiliencePlugin (executor " + coordinator.executorId() + ")";
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public TokenAuthority tokenAuthority() {
        return authority;
    }

    @Override
    public IdempotencyStore ledger() {
        return ledger;
    }

    @Override
    public BreakerBoard breakerBoard() {
        ExecutorBreakerBoard b = board;
        if (b == null) {
            synchronized (this) {
                b = board;
                if (b == null) {
                    b = ExecutorBreakerBoard.connect(coordinator, options);
                    board = b;
                }
            }
        }
        return b;
    }

    /** One budget per policy for the application, held by the driver ({@code DriverRetryBudgets}). */
    @Override
    public RetryBudget retryBudget(String policyName, double ratio, int reserve, LongSupplier calls) {
        return new ClusterRetryBudget(coordinator, policyName, ratio, reserve, calls);
    }

    ClusterCoordinator coordinator() {
        return coordinator;
    }

    PluginOptions options() {
        return options;
    }

    Optional<DriverSide> driver() {
        return Optional.ofNullable(driver);
    }

    @Override
    public String toString() {
        return "SparkCluster[" + clientId + "]";
    }
}
