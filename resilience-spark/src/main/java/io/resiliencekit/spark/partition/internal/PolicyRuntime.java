package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.policy.PolicyRegistry;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.event.ResilienceEvent;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves a shipped {@link ResiliencePolicyConfig} to this JVM's one runtime
 * ({@link PolicyRegistry#shared()}, breaker bound to the plugin's board through
 * {@link ResilienceCluster#policy}) and, once per runtime, registers the listener that routes its
 * events to the partition running on the calling thread.
 */
public final class PolicyRuntime {

    private static final Set<ResiliencePolicy> ROUTED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private static final Map<ResiliencePolicy, Set<Map<String, String>>> WARNED = new WeakHashMap<>();
    private static final Logger LOG = LoggerFactory.getLogger(PolicyRuntime.class);

    private PolicyRuntime() {
    }

    public static ResiliencePolicy resolve(ResiliencePolicyConfig config) {
        // the JVM's one runtime, its breaker bound to the plugin's cluster board when the plugin runs
        ResiliencePolicy policy = ResilienceCluster.policy(config);
        if (config != policy.config()) {
            warnIfOtherOptions(config, policy);
        }
        if (!ROUTED.contains(policy) && ROUTED.add(policy)) {
            // Policies publish on the calling thread, which is the task thread: the partition
            // running on it owns the event. One listener per JVM and policy, not per task.
            policy.events().register(PolicyRuntime::route);
        }
        return policy;
    }

    /**
     * The first config registered under a name wins in a JVM: say so, once per runtime and shipped
     * configuration, rather than silently running the job with someone else's retry, breaker and
     * limiter settings. Checked on every resolve (once per partition), not only the first, so a
     * second job in the same JVM with the same name and other options is warned too.
     */
    private static void warnIfOtherOptions(ResiliencePolicyConfig shipped, ResiliencePolicy policy) {
        Map<String, String> options = shipped.toOptions();   // options only: code parts (factories) compare by identity
        if (options.equals(policy.config().toOptions())) {
            return;
        }
        Set<Map<String, String>> warned;
        synchronized (WARNED) {
            warned = WARNED.computeIfAbsent(policy, p -> ConcurrentHashMap.newKeySet());
        }
        if (warned.add(options)) {
            LOG.warn("policy '{}' was already registered in this JVM with another configuration; the helpers use the "
                + "registered one: {} (shipped: {}). Use distinct policy names for distinct configurations.",
                shipped.name(), policy.config(), shipped);
        }
    }

    private static void route(ResilienceEvent e) {
        PartitionCounters c = PartitionCounters.current();
        if (c != null) {
            c.onEvent(e);
        }
    }
}
