package io.resiliencekit;

/** An action with no result that may throw anything. */
@FunctionalInterface
public interface CheckedRunnable {
    void run() throws Exception;
}
