package io.resiliencekit;

/** The state of a circuit breaker. */
public enum CircuitState {
    /** Calls flow; outcomes are recorded. */
    CLOSED,
    /** Calls are refused without being made until the open duration ends. */
    OPEN,
    /** A limited number of trial calls decide whether to close or re-open. */
    HALF_OPEN,
    /** Opened by hand; stays open until closed by hand. */
    FORCED_OPEN
}
