package io.resiliencekit.policy;

import io.resiliencekit.time.Ticker;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One runtime per policy name per JVM. Configurations travel (inside Spark closures, for instance)
 * and every task in a JVM resolves the same runtime from them, so breakers see every task's
 * outcomes and limiters count every task's calls.
 *
 * <pre>{@code
 * // on an executor, inside mapPartitions:
 * ResiliencePolicy policy = PolicyRegistry.shared().policy(config);
 * }</pre>
 *
 * <p>The name identifies the runtime: the first configuration registered under a name wins, and
 * later ones with the same name get that runtime. Use distinct names for distinct policies, or
 * {@link #replace} to swap one (e.g. in a notebook).
 */
public final class PolicyRegistry {

    private static final PolicyRegistry SHARED = new PolicyRegistry(Ticker.system());

    private final Ticker ticker;
    private final ConcurrentMap<String, ResiliencePolicy> policies = new ConcurrentHashMap<>();

    /** A private registry, e.g. on virtual time for a test. */
    public PolicyRegistry(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /** The JVM-wide registry on the real clock. */
    public static PolicyRegistry shared() {
        return SHARED;
    }

    public ResiliencePolicy policy(ResiliencePolicyConfig config) {
        Objects.requireNonNull(config, "config");
        return policies.computeIfAbsent(config.name(), n -> ResiliencePolicy.create(config, ticker));
    }

    public Optional<ResiliencePolicy> find(String name) {
        return Optional.ofNullable(policies.get(name));
    }

    /** Replaces the runtime registered under the config's name; its state starts fresh. */
    public ResiliencePolicy replace(ResiliencePolicyConfig config) {
        ResiliencePolicy p = ResiliencePolicy.create(config, ticker);
        policies.put(config.name(), p);
        return p;
    }

    public void remove(String name) {
        policies.remove(name);
    }

    public Collection<ResiliencePolicy> all() {
        return List.copyOf(policies.values());
    }
}
