package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.ResiliencePolicy;
import io.resiliencekit.metrics.ResilienceEvent;

/** A resolved policy plus the one listener that routes its events to the partition running on the calling thread. */
public final class PolicyRuntime {

    private final ResiliencePolicy policy;

    public PolicyRuntime(ResiliencePolicy policy) {
        this.policy = policy;
        if (policy != null) {
            // Policies publish on the calling thread, which is the task thread: the partition
            // running on it owns the event. One listener per JVM and policy, not per task.
            policy.events().register(PolicyRuntime::route);
        }
    }

    public ResiliencePolicy policy() {
        return policy;
    }

    public <T> T call(CallContext context, CheckedSupplier<T> action) throws Exception {
        return policy == null ? action.get() : policy.call(context, action);
    }

    private static void route(ResilienceEvent e) {
        PartitionCounters c = PartitionCounters.current();
        if (c != null) {
            c.onEvent(e);
        }
    }
}
