package io.resiliencekit;

/**
 * The action failed and the policy gave up: the failure was permanent, or attempts, deadline or
 * retry budget ran out. {@link #getCause()} is the last failure.
 *
 * <pre>{@code
 * catch (CallFailedException e) {
 *     log.warn("gave up after {} attempts ({}), last failure {}", e.attempts(), e.reason(), e.failureKind());
 * }
 * }</pre>
 */
public class CallFailedException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final FailureKind failureKind;
    private final String reason;

    /**
     * A give-up whose message names only the cause's class: third-party messages may carry
     * credentials, and this package scrubs nothing (the policy passes a scrubbed summary).
     */
    public CallFailedException(String policyName, int attempts, FailureKind failureKind, String reason, Throwable cause) {
        this(policyName, attempts, failureKind, reason, cause,
            cause == null ? "no exception (result classified as failure)" : cause.getClass().getName());
    }

    /** @param causeSummary how the message describes the cause; must already be safe to log */
    public CallFailedException(String policyName, int attempts, FailureKind failureKind, String reason, Throwable cause,
                               String causeSummary) {
        super("policy '" + policyName + "' gave up after " + attempts + (attempts == 1 ? " attempt" : " attempts")
            + " (" + reason + "): " + causeSummary, policyName, attempts, cause);
        this.failureKind = failureKind;
        this.reason = reason;
    }

    /** How the last failure was classified. */
    public FailureKind failureKind() {
        return failureKind;
    }

    /**
     * Why the policy stopped: {@code permanent}, {@code max attempts}, {@code aborted}, {@code deadline},
     * {@code retry budget}, {@code interrupted}, {@code result check failed}, {@code idempotency store}.
     */
    public String reason() {
        return reason;
    }
}
