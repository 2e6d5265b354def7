package io.resiliencekit;

/**
 * Base of every exception a policy throws instead of a result. The cause is the last failure of
 * the action itself, if there was one.
 *
 * <pre>{@code
 * try {
 *     policy.call(() -> api.send(order));
 * } catch (ResilienceException e) {
 *     deadLetters.write(order, e);   // attempts(), failureKind() and the cause say why
 * }
 * }</pre>
 */
public class ResilienceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String policyName;
    private final int attempts;

    public ResilienceException(String message, String policyName, int attempts, Throwable cause) {
        super(message, cause);
        this.policyName = policyName;
        this.attempts = attempts;
    }

    /** The policy that gave up. */
    public String policyName() {
        return policyName;
    }

    /** How many times the action was actually run (0 if it never was). */
    public int attempts() {
        return attempts;
    }
}
