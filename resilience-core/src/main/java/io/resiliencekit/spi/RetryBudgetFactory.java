package io.resiliencekit.spi;

import java.io.Serializable;
import java.util.function.LongSupplier;

/**
 * Serializable recipe for a policy's {@link RetryBudget} when it is neither this JVM's nor the
 * cluster's (which a budget of scope {@code auto} gets by itself when its runtime is bound to a
 * {@link Cluster} that offers one).
 *
 * <pre>{@code
 * RetryConfig.builder().budget((policy, ratio, reserve, calls, ctx) -> new MySharedBudget(policy, ratio, reserve)).build();
 * }</pre>
 */
@FunctionalInterface
public interface RetryBudgetFactory extends Serializable {

    /** @param calls calls the policy has started in this JVM so far (monotonic), for the budget's deposits */
    RetryBudget create(String policyName, double ratio, int reserve, LongSupplier calls, BindingContext context);
}
