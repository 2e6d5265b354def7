package io.resiliencekit.spark.testing;

import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.ServiceKey;
import java.io.Serializable;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * An executor's view of the driver without Spark: every request is dispatched straight into the
 * given {@link DriverServices} as executor {@code executorId}, so driver services and their
 * executor-side clients can be unit-tested together on virtual time. While {@code down} says so,
 * every request fails as an unreachable driver would.
 */
public final class InProcessCoordinator implements ClusterCoordinator {

    private final DriverServices services;
    private final String executorId;
    private final BooleanSupplier down;

    public InProcessCoordinator(DriverServices services, String executorId) {
        this(services, executorId, () -> false);
    }

    public InProcessCoordinator(DriverServices services, String executorId, BooleanSupplier down) {
        this.services = services;
        this.executorId = executorId;
        this.down = down;
    }

    @Override
    public String executorId() {
        return executorId;
    }

    @Override
    public boolean isDriverLocal() {
        return false;
    }

    @Override
    public <Q extends Serializable, R extends Serializable> R ask(ServiceKey<Q, R> key, Q request) {
        if (down.getAsBoolean()) {
            throw new ClusterCoordinationException(key.name(), "RPC to the driver failed (test)", null);
        }
        return key.responseType().cast(services.dispatch(executorId, key.name(), request));
    }

    @Override
    public <Q extends Serializable, R extends Serializable> CompletableFuture<R> askAsync(ServiceKey<Q, R> key, Q request) {
        return CompletableFuture.completedFuture(ask(key, request));
    }

    @Override
    public <Q extends Serializable> void send(ServiceKey<Q, ?> key, Q request) {
        ask(key, request);
    }
}
