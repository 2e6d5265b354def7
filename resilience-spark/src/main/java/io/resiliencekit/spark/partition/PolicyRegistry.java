package io.resiliencekit.spark.partition;

import io.resiliencekit.ResiliencePolicy;
import io.resiliencekit.spark.partition.internal.PolicyRuntime;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One runtime per policy name per JVM. Executors resolve the {@link PolicySpec} shipped in a task's
 * closure here, so all tasks of one executor share the policy's breaker, limiter and guard, and
 * the policy's state outlives any single task.
 *
 * <pre>{@code
 * ResiliencePolicy p = PolicyRegistry.policy(spec);   // same instance for every task of this JVM
 * }</pre>
 */
public final class PolicyRegistry {

    private static final ConcurrentMap<String, PolicyRuntime> RUNTIMES = new ConcurrentHashMap<>();

    private PolicyRegistry() {
    }

    /** The runtime policy for {@code spec} in this JVM, built on first use; null for pass-through. */
    public static ResiliencePolicy policy(PolicySpec spec) {
        return runtime(spec).policy();
    }

    /** Drops every runtime of this JVM (tests, or a driver that re-creates its SparkSession). */
    public static void clear() {
        RUNTIMES.clear();
    }

    /** Internal: the helpers' handle on a resolved policy. */
    public static PolicyRuntime runtime(PolicySpec spec) {
        PolicyRuntime r = RUNTIMES.get(spec.name());
        return r != null ? r : RUNTIMES.computeIfAbsent(spec.name(), n -> new PolicyRuntime(spec.create()));
    }
}
