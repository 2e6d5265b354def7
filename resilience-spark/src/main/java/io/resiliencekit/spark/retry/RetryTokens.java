package io.resiliencekit.spark.retry;

import java.io.Serializable;

/**
 * The messages between an executor's {@link ClusterRetryBudget} and the driver's
 * {@link DriverRetryBudgets}. Immutable and {@link Serializable}.
 *
 * <pre>{@code
 * RetryTokens.Ask ask = new RetryTokens.Ask("orders", 0.2, 50, 37, 1);   // 37 new calls, one retry wanted
 * }</pre>
 */
public final class RetryTokens {

    private RetryTokens() {
    }

    /**
     * @param policy the policy's name: one budget per name for the application
     * @param ratio  its budget's ratio (retries per call)
     * @param reserve its budget's reserve
     * @param newCalls calls the policy started in this JVM since its previous ask (deposits)
     * @param wanted retry tokens wanted now (0: only reporting calls)
     */
    public record Ask(String policy, double ratio, int reserve, long newCalls, int wanted) implements Serializable {
        private static final long serialVersionUID = 1L;

        public Ask {
            if (policy == null || !(ratio >= 0) || reserve < 0 || newCalls < 0 || wanted < 0) {
                throw new IllegalArgumentException("invalid retry budget ask: " + policy + " ratio=" + ratio
                    + " reserve=" + reserve + " newCalls=" + newCalls + " wanted=" + wanted);
            }
        }
    }

    /**
     * @param granted tokens granted (already withdrawn from the application's budget)
     * @param balance what is left in the budget after this grant
     */
    public record Grant(int granted, double balance) implements Serializable {
        private static final long serialVersionUID = 1L;
    }
}
