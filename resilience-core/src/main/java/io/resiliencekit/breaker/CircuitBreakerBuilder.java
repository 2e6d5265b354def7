package io.resiliencekit.breaker;

/** STUB: contract only; the implementation lands with the circuit breaker work. */
public final class CircuitBreakerBuilder {
    public CircuitBreakerConfig build() {
        return new CircuitBreakerConfig();
    }
}
