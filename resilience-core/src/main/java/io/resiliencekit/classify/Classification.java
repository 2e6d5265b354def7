package io.resiliencekit.classify;

import io.resiliencekit.FailureKind;

import java.time.Duration;
import java.util.Objects;

/**
 * A verdict on one failure: its {@link FailureKind} and, if the service sent one, how long it
 * asked us to wait.
 *
 * <pre>{@code
 * Classification c = Classification.throttled(Duration.ofSeconds(2));
 * }</pre>
 */
public final class Classification {

    private static final Classification TRANSIENT = new Classification(FailureKind.TRANSIENT, null);
    private static final Classification PERMANENT = new Classification(FailureKind.PERMANENT, null);

    private final FailureKind kind;
    private final Duration retryAfter;

    private Classification(FailureKind kind, Duration retryAfter) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.retryAfter = retryAfter;
    }

    public static Classification transientFailure() {
        return TRANSIENT;
    }

    public static Classification permanent() {
        return PERMANENT;
    }

    /** A transient failure that carries the server's hint (may be null). */
    public static Classification transientFailure(Duration retryAfter) {
        return retryAfter == null ? TRANSIENT : new Classification(FailureKind.TRANSIENT, retryAfter);
    }

    public static Classification throttled(Duration retryAfter) {
        return new Classification(FailureKind.THROTTLED, retryAfter);
    }

    public static Classification of(FailureKind kind, Duration retryAfter) {
        if (retryAfter == null && kind != FailureKind.THROTTLED) {
            return kind == FailureKind.TRANSIENT ? TRANSIENT : PERMANENT; // the retry path allocates no verdict
        }
        return new Classification(kind, retryAfter);
    }

    public FailureKind kind() {
        return kind;
    }

    /** The server's delay hint, or {@code null} if it gave none. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public boolean isRetryable() {
        return kind != FailureKind.PERMANENT;
    }

    @Override
    public String toString() {
        return retryAfter == null ? kind.name() : kind + "(retryAfter=" + retryAfter + ")";
    }
}
