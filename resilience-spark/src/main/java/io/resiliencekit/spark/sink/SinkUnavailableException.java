package io.resiliencekit.spark.sink;

/**
 * The sink's health check failed on the driver, before any task started: the target cannot be
 * reached, refuses our credentials, or is unhealthy. The message names the target with its
 * credentials masked, never a secret.
 *
 * <pre>{@code
 * try {
 *     df.write().format("resilient").options(opts).mode("append").save();
 * } catch (SinkUnavailableException e) {
 *     alert(e.getMessage());   // e.g. "http sink health check: GET http://api:8080/health answered 401 ..."
 * }
 * }</pre>
 */
public class SinkUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public SinkUnavailableException(String message) {
        super(message);
    }
}
