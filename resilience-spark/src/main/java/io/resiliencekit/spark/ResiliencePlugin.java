package io.resiliencekit.spark;

import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Cluster-wide coordination for resiliencekit over Spark's own RPC: the driver hosts the token
 * authorities of named rate limiters, the circuit-breaker board and the application's idempotency
 * ledger; executors reach them through {@link ResilienceCluster#coordinator()}. Because it uses
 * Spark's plugin RPC it inherits {@code spark.authenticate} and network encryption and opens no port.
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder()
 *     .config("spark.plugins", "io.resiliencekit.spark.ResiliencePlugin")
 *     .config("spark.resiliencekit.limiter.orders-api.rate", "200")
 *     .getOrCreate();
 * }</pre>
 *
 * <p>Options: see {@link PluginOptions}. Metrics (Spark's metrics system, under the plugin's source
 * {@code plugin.io.resiliencekit.spark.ResiliencePlugin}): see {@link DriverSide} and {@link ExecutorSide}.
 * In local mode both sides run in the driver JVM and executors' requests still go through Spark's RPC.
 */
public final class ResiliencePlugin implements SparkPlugin {

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverSide();
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorSide();
    }
}
