package io.resiliencekit.spark.cluster;

import java.io.Serializable;
import java.util.concurrent.CompletableFuture;

/**
 * The executor's (or driver's) line to the driver-side services of {@link ResiliencePlugin}.
 * Obtained with {@link ResilienceCluster#coordinator()}.
 *
 * <pre>{@code
 * ResilienceCluster.coordinator().ifPresent(c -> {
 *     Grant g = c.ask(TokenService.KEY, new LeaseRequest("api", 20));
 * });
 * }</pre>
 */
public interface ClusterCoordinator {

    /** Executor id of this JVM as Spark knows it ("driver" on the driver and in local mode). */
    String executorId();

    /** True when requests are dispatched in this JVM without RPC (driver-side callers). */
    boolean isDriverLocal();

    /**
     * Sends {@code request} to the driver and waits for the response (up to Spark's
     * {@code spark.rpc.askTimeout}). Do not call from a latency-critical path; see {@link #askAsync}.
     *
     * @throws ClusterCoordinationException if the service is unknown or failed, or RPC failed
     */
    <Q extends Serializable, R extends Serializable> R ask(ServiceKey<Q, R> key, Q request);

    /**
     * Like {@link #ask}, for requests that many threads make at once (a ledger claim per record):
     * an executor sends the requests that wait at the same time in one RPC, so the driver and the
     * RPC layer handle one message per group instead of one per request. Each request gets its own
     * answer or error, as from {@link #ask}; requests are answered in the order they were made.
     * The default, and a driver-local coordinator, asks one by one.
     *
     * <pre>{@code
     * ClaimReply r = coordinator.askGrouped(LedgerMessages.CLAIM, claim);
     * }</pre>
     */
    default <Q extends Serializable, R extends Serializable> R askGrouped(ServiceKey<Q, R> key, Q request) {
        return ask(key, request);
    }

    /** Like {@link #ask} on a background thread of the coordinator. */
    <Q extends Serializable, R extends Serializable> CompletableFuture<R> askAsync(ServiceKey<Q, R> key, Q request);

    /** Fire-and-forget; delivery is not confirmed and failures are only logged. */
    <Q extends Serializable> void send(ServiceKey<Q, ?> key, Q request);

    /**
     * Runs {@code action} when this coordinator shuts down (the plugin's executor side stops), so
     * components can stop their background threads. Driver-local coordinators never shut down.
     */
    default void onShutdown(Runnable action) {
    }
}
