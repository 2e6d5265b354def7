package io.resiliencekit.event;

import java.time.Duration;
import java.util.Objects;

/**
 * One thing a policy did. Immutable; only built when at least one listener is registered.
 *
 * <pre>{@code
 * policy.events().register(e -> {
 *     if (e.type() == EventType.BREAKER_TRANSITION) log.warn("{} {}", e.policyName(), e.detail());
 * });
 * }</pre>
 */
public final class ResilienceEvent {

    private final EventType type;
    private final String policyName;
    private final long epochMillis;
    private final int attempt;
    private final Duration delay;
    private final String detail;
    private final Throwable failure;

    public ResilienceEvent(EventType type, String policyName, long epochMillis, int attempt,
                           Duration delay, String detail, Throwable failure) {
        this.type = Objects.requireNonNull(type, "type");
        this.policyName = Objects.requireNonNull(policyName, "policyName");
        this.epochMillis = epochMillis;
        this.attempt = attempt;
        this.delay = delay == null ? Duration.ZERO : delay;
        this.detail = detail == null ? "" : detail;
        this.failure = failure;
    }

    public EventType type() {
        return type;
    }

    /** Name of the policy, breaker, limiter or store that emitted the event. */
    public String policyName() {
        return policyName;
    }

    public long epochMillis() {
        return epochMillis;
    }

    /** 1-based attempt number the event refers to, or 0 when not about an attempt. */
    public int attempt() {
        return attempt;
    }

    /** The wait involved: backoff before a retry, throttle wait, open duration. Zero if none. */
    public Duration delay() {
        return delay;
    }

    /** A short machine-readable detail, such as {@code "CLOSED->OPEN"}; never a secret. */
    public String detail() {
        return detail;
    }

    /** The failure involved, or {@code null}. */
    public Throwable failure() {
        return failure;
    }

    @Override
    public String toString() {
        return "ResilienceEvent{" + type + ", policy=" + policyName + ", attempt=" + attempt
            + ", delay=" + delay + (detail.isEmpty() ? "" : ", detail=" + detail)
            + (failure == null ? "" : ", failure=" + failure.getClass().getName()) + '}';
    }
}
