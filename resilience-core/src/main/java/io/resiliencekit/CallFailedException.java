package io.resiliencekit;

import io.resiliencekit.FailureKind;
import io.resiliencekit.config.Secrets;

/**
 * The action failed and the policy gave up: the failure was permanent, or attempts, deadline or
 * retry budget ran out. {@link #getCause()} is the last failure.
 */
public class CallFailedException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    private final FailureKind failureKind;
    private final String reason;

    public CallFailedException(String policyName, int attempts, FailureKind failureKind, String reason, Throwable cause) {
        super("policy '" + policyName + "' gave up after " + attempts + (attempts == 1 ? " attempt" : " attempts")
            + " (" + reason + "): " + describe(cause), policyName, attempts, cause);
        this.failureKind = failureKind;
        this.reason = reason;
    }

    /** How the last failure was classified. */
    public FailureKind failureKind() {
        return failureKind;
    }

    /** Why the policy stopped: {@code permanent}, {@code max attempts}, {@code deadline}, {@code retry budget}. */
    public String reason() {
        return reason;
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "no exception (result classified as failure)";
        }
        // third-party messages sometimes carry credentials: scrub before they reach logs and dead letters
        return t.getClass().getName() + (t.getMessage() == null ? "" : ": " + Secrets.scrub(t.getMessage()));
    }
}
