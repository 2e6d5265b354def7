package io.resiliencekit.spark.cluster;

import java.io.Serializable;

/**
 * Driver-side handler of one {@link ServiceKey}. Called on Spark's RPC threads, possibly
 * concurrently: implementations must be thread-safe and quick (no blocking I/O), because every
 * executor's requests share those threads.
 *
 * <pre>{@code
 * ResilienceCluster.driverServices().register(COUNTER, (String executor, Increment inc) -> new Total(total.addAndGet(inc.n())));
 * }</pre>
 */
@FunctionalInterface
public interface DriverService<Q extends Serializable, R extends Serializable> {

    /**
     * @param caller the executor id that asked ("driver" for driver-local calls)
     * @param request the request, never null
     * @return the response; null is allowed and reaches the caller as null
     */
    R handle(String caller, Q request) throws Exception;
}
