package io.resiliencekit.breaker;

import java.io.Serializable;

/** STUB: contract only; the implementation lands with the circuit breaker work. */
public final class CircuitBreakerConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static CircuitBreakerBuilder builder() {
        return new CircuitBreakerBuilder();
    }
}
