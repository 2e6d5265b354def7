package io.resiliencekit.spark.cluster;

/**
 * A request to a driver-side service failed: the service is unknown, it threw, or Spark's RPC could
 * not deliver it. The message names the service and the failure; it never contains the request.
 *
 * <pre>{@code
 * try { coordinator.ask(KEY, req); } catch (ClusterCoordinationException e) { fallBackToLocal(); }
 * }</pre>
 */
public class ClusterCoordinationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String service;

    public ClusterCoordinationException(String service, String message, Throwable cause) {
        super("resiliencekit service '" + service + "': " + message, cause);
        this.service = service;
    }

    public String service() {
        return service;
    }
}
