package io.resiliencekit;

/**
 * An action that returns a value and may throw anything, like {@link java.util.concurrent.Callable}
 * but usable with lambdas that throw checked exceptions.
 */
@FunctionalInterface
public interface CheckedSupplier<T> {
    T get() throws Exception;
}
