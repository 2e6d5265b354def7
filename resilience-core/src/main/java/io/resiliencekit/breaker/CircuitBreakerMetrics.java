package io.resiliencekit.breaker;

import io.resiliencekit.CircuitState;

/**
 * A snapshot of a breaker's state and window.
 *
 * <pre>{@code
 * CircuitBreakerMetrics m = breaker.metrics();
 * log.info("{} {} failureRate={} calls={}", breaker.name(), m.state(), m.failureRate(), m.callsInWindow());
 * }</pre>
 *
 * @param state the state when the snapshot was taken
 * @param callsInWindow calls recorded in the closed-state window (trial calls while half-open)
 * @param failedCalls failures among them
 * @param slowCalls slow calls among them (0 unless a slow-call duration is configured)
 * @param failureRate failedCalls / callsInWindow, 0 when there are no calls
 * @param slowCallRate slowCalls / callsInWindow, 0 when there are no calls
 * @param notPermittedCalls calls refused since the breaker was created or reset
 * @param consecutiveOpens opens since the last close (drives open-duration growth)
 */
public record CircuitBreakerMetrics(CircuitState state, int callsInWindow, int failedCalls, int slowCalls,
                                    double failureRate, double slowCallRate, long notPermittedCalls,
                                    int consecutiveOpens) {
}
