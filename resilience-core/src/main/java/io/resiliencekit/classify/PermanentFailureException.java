package io.resiliencekit.classify;

/**
 * Thrown by user code to say "this will never succeed" (a validation error, a poison record):
 * the policy does not retry it, and helpers dead-letter it at once.
 *
 * <pre>{@code
 * if (order.amount() < 0) throw new PermanentFailureException("negative amount in order " + order.id());
 * }</pre>
 */
public class PermanentFailureException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PermanentFailureException(String message) {
        super(message);
    }

    public PermanentFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
