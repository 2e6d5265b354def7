package io.resiliencekit.breaker;

import java.io.Serializable;

/** STUB: contract only; the implementation lands with the circuit breaker work. */
public final class CircuitBreakerConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static CircuitBreakerBuilder builder(String name) {
        return new CircuitBreakerBuilder();
    }

    public static CircuitBreakerConfig fromOptions(io.resiliencekit.config.Options o, String prefix) {
        return new CircuitBreakerConfig();
    }

    public java.util.Map<String, String> toOptions(String prefix) {
        return java.util.Map.of();
    }
}
