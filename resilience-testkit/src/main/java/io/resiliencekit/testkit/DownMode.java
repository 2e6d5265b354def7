package io.resiliencekit.testkit;

/**
 * How {@link FlakyApiServer#down()} makes the service unavailable.
 *
 * <pre>{@code
 * server.down(DownMode.REFUSE_CONNECTIONS);   // clients get java.net.ConnectException
 * server.down(DownMode.SERVICE_UNAVAILABLE);  // clients get 503 on every request
 * server.up();
 * }</pre>
 */
public enum DownMode {
    /** The listening socket is closed; connections are refused. {@link FlakyApiServer#up()} rebinds the same port. */
    REFUSE_CONNECTIONS,
    /** The server stays reachable but answers every request (including {@code /health}) with 503. */
    SERVICE_UNAVAILABLE
}
