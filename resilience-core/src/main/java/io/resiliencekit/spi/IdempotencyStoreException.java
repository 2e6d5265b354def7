package io.resiliencekit.spi;

/**
 * The idempotency store could not be read or written (database down, table missing and not
 * creatable). The cause is the underlying failure; the message never contains credentials.
 */
public class IdempotencyStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public IdempotencyStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
