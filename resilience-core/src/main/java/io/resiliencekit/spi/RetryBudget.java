package io.resiliencekit.spi;

/**
 * Limits retries to a fraction of calls: over any interval, {@code retries <= reserve + ratio * calls}.
 * The policy asks for one token before each retry (never on the success path). The local
 * implementation is {@code io.resiliencekit.retry.LocalRetryBudget}; a {@link Cluster} may supply one
 * budget for a policy across every JVM.
 *
 * <pre>{@code
 * if (!budget.tryWithdraw()) {
 *     throw giveUp("retry budget");
 * }
 * }</pre>
 */
public interface RetryBudget {

    /** Takes one retry token if there is one. */
    boolean tryWithdraw();
}
