package io.resiliencekit.policy;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.spi.BindingContext;
import io.resiliencekit.spi.Cluster;
import io.resiliencekit.time.Ticker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every piece of mutable state the library keeps: the clock, policies by name, rate limiters,
 * idempotency stores, HTTP clients, and the {@link Cluster} binding through which they are shared
 * across JVMs. Specs (configs) travel; each runtime turns them into one instance per name.
 *
 * <pre>{@code
 * // anywhere in a JVM (a Spark task, a service): the process default
 * ResiliencePolicy policy = ResilienceRuntime.shared().policy(config);
 *
 * // a test: its own runtime on virtual time, sharing nothing with anyone
 * try (ResilienceRuntime runtime = ResilienceRuntime.builder().ticker(new ManualTicker()).build()) {
 *     ResiliencePolicy p = runtime.policy(config);
 * }
 * }</pre>
 *
 * <p><b>One name, one spec.</b> Asking for a policy (or a limiter, a store, a breaker) under a name
 * already in use with a spec that is not the same is a {@link ConfigException} that names both,
 * never a silent first-wins. Specs are the same when they are equal or serialize to the same bytes
 * (a spec shipped to a Spark task arrives as a new object with new lambdas; its bytes are equal).
 *
 * <p><b>Clusters.</b> {@link #bindCluster(Cluster)} (the Spark plugin does it on every JVM) makes
 * every capability whose scope is {@code auto} (the default) or {@code cluster} go through the
 * cluster: limiters lease from its authority, breakers share its board, idempotency keys go to its
 * ledger. Binding or unbinding closes and forgets everything the runtime made before, so nothing
 * keeps talking to a cluster that is gone.
 *
 * <p>Thread-safe. {@link #shared()} is the only process-wide instance; it is never closed.
 */
public final class ResilienceRuntime implements BindingContext, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ResilienceRuntime.class);

    // The one static holder of mutable state in the library (an ArchUnit rule keeps it that way).
    private static final ResilienceRuntime SHARED = new ResilienceRuntime(Ticker.system(), processSalt(), true);

    private final Ticker ticker;
    private final long salt;
    private final boolean isShared;
    private final Object lock = new Object();
    private final Map<String, Shared> instances = new ConcurrentHashMap<>();
    private final Map<String, ResiliencePolicy> policies = new ConcurrentHashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private volatile Cluster cluster;
    private volatile boolean closed;

    private ResilienceRuntime(Ticker ticker, long salt, boolean isShared) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.salt = salt;
        this.isShared = isShared;
    }

    /** The process default, on the real clock. Bound to the cluster by the Spark plugin where it runs. */
    public static ResilienceRuntime shared() {
        return SHARED;
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------ policies

    /**
     * The runtime's policy for {@code config}'s name, created on first use.
     *
     * @throws ConfigException if a policy of that name exists with another spec (the message names both)
     */
    public ResiliencePolicy policy(ResiliencePolicyConfig config) {
        Objects.requireNonNull(config, "config");
        ResiliencePolicy existing = policies.get(config.name());
        if (existing != null) {
            return checked(existing, config);
        }
        synchronized (lock) {
            existing = policies.get(config.name());
            if (existing != null) {
                return checked(existing, config);
            }
            ensureOpen();
            ResiliencePolicy p = new ResiliencePolicy(config, this);
            policies.put(config.name(), p);
            return p;
        }
    }

    private static ResiliencePolicy checked(ResiliencePolicy existing, ResiliencePolicyConfig asked) {
        if (existing.config() != asked && !sameSpec(existing.config(), asked)) {
            throw new ConfigException(List.of("policy '" + asked.name() + "' is already defined in this runtime as "
                + existing.config() + "; it cannot also be " + asked + ". Use distinct names for distinct policies"
                + " (or replace(config) to swap one on purpose)."));
        }
        return existing;
    }

    /** The policy registered under {@code name}, if any. */
    public Optional<ResiliencePolicy> find(String name) {
        return Optional.ofNullable(policies.get(name));
    }

    /**
     * Replaces the policy of {@code config}'s name on purpose (a notebook re-running a cell): the new
     * policy, its breaker and its retry budget start fresh; limiters and stores shared by name are kept.
     */
    public ResiliencePolicy replace(ResiliencePolicyConfig config) {
        synchronized (lock) {
            ensureOpen();
            ResiliencePolicy p = new ResiliencePolicy(config, this);
            policies.put(config.name(), p);
            return p;
        }
    }

    public void remove(String name) {
        policies.remove(name);
    }

    public Collection<ResiliencePolicy> policies() {
        return List.copyOf(policies.values());
    }

    // ------------------------------------------------------------------------------- binding context

    @Override
    public Ticker ticker() {
        return ticker;
    }

    @Override
    public Optional<Cluster> cluster() {
        return Optional.ofNullable(cluster);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <S, T> T share(String kind, String name, S spec, Function<? super S, ? extends T> create) {
        String key = kind + '\u0000' + name;
        Shared s = instances.get(key);
        if (s == null) {
            synchronized (lock) {
                s = instances.get(key);
                if (s == null) {
                    ensureOpen();
                    s = new Shared(spec, create.apply(spec));
                    instances.put(key, s);
                    return (T) s.instance;
                }
            }
        }
        if (s.spec != spec && !sameSpec(s.spec, spec)) {
            throw new ConfigException(List.of(kind + " '" + name + "' is already defined in this runtime as "
                + s.spec + "; it cannot also be " + spec + ". Use distinct names for distinct " + kind + "s."));
        }
        return (T) s.instance;
    }

    /**
     * Binds this runtime to {@code cluster}: from now on every capability whose scope allows it is
     * shared through the cluster. Everything made before is closed and forgotten.
     */
    public void bindCluster(Cluster cluster) {
        Objects.requireNonNull(cluster, "cluster");
        synchronized (lock) {
            if (this.cluster == cluster) {
                return;
            }
            resetLocked();
            this.cluster = cluster;
        }
        LOG.info("resiliencekit runtime bound to {}", cluster.describe());
    }

    /** Undoes {@link #bindCluster} if {@code cluster} is the bound one; everything made for it is closed. */
    public void unbindCluster(Cluster cluster) {
        synchronized (lock) {
            if (this.cluster != cluster) {
                return;
            }
            resetLocked();
            this.cluster = null;
        }
    }

    /**
     * Logs {@code message} at WARN the first time {@code key} is seen in this runtime; later calls with
     * the same key are silent. For conditions a user must hear about once, not per task.
     */
    @Override
    public void warnOnce(String key, String message) {
        if (warned.add(key)) {
            LOG.warn(message);
        }
    }

    /**
     * Mixed into every seeded random sequence of this runtime's policies, so that a seed reproduces a
     * sequence within one runtime (a test) while JVMs that share a seed through their options still
     * draw independent delays: the cluster's client id when bound, a per-process value for
     * {@link #shared()}, and the builder's {@code seedSalt} (0 unless set) for other runtimes.
     */
    public long seedSalt() {
        Cluster c = cluster;
        if (c != null) {
            return salt ^ mix(c.clientId().hashCode());
        }
        return salt;
    }

    /** Closes every limiter, store and client this runtime made and forgets every policy. */
    @Override
    public void close() {
        if (isShared) {
            throw new UnsupportedOperationException("the shared runtime lives as long as the JVM");
        }
        synchronized (lock) {
            resetLocked();
            closed = true;
        }
    }

    private void resetLocked() {
        policies.clear();
        List<Shared> made = new ArrayList<>(instances.values());
        instances.clear();
        for (Shared s : made) {
            if (s.instance instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) s.instance).close();
                } catch (Exception e) {
                    LOG.warn("closing {} failed; ignored", s.instance.getClass().getName(), e);
                }
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this ResilienceRuntime is closed");
        }
    }

    @Override
    public String toString() {
        Cluster c = cluster;
        return "ResilienceRuntime{" + (isShared ? "shared, " : "") + policies.size() + " policies, "
            + instances.size() + " shared instances" + (c == null ? "" : ", bound to " + c.describe()) + '}';
    }

    // ----------------------------------------------------------------------------------------------

    /** Same spec: equal, or (for serializable specs with code parts) the same serialized bytes. */
    static boolean sameSpec(Object a, Object b) {
        if (Objects.equals(a, b)) {
            return true;
        }
        if (!(a instanceof Serializable) || !(b instanceof Serializable) || a.getClass() != b.getClass()) {
            return false;
        }
        byte[] x = bytes(a);
        return x != null && Arrays.equals(x, bytes(b));
    }

    private static byte[] bytes(Object o) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream s = new ObjectOutputStream(out)) {
            s.writeObject(o);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return out.toByteArray();
    }

    private static long processSalt() {
        return mix(ProcessHandle.current().pid() ^ System.nanoTime());
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    private static final class Shared {
        final Object spec;
        final Object instance;

        Shared(Object spec, Object instance) {
            this.spec = spec;
            this.instance = instance;
        }
    }

    /** Builds a private {@link ResilienceRuntime}. */
    public static final class Builder {
        private Ticker ticker = Ticker.system();
        private long seedSalt;
        private Cluster cluster;

        private Builder() {
        }

        /** The clock of every wait and window; a {@link io.resiliencekit.time.ManualTicker} in tests. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** See {@link ResilienceRuntime#seedSalt()}; 0 by default, so seeded tests reproduce. */
        public Builder seedSalt(long salt) {
            this.seedSalt = salt;
            return this;
        }

        /** Binds the new runtime to {@code cluster} at once. */
        public Builder cluster(Cluster cluster) {
            this.cluster = cluster;
            return this;
        }

        public ResilienceRuntime build() {
            ResilienceRuntime r = new ResilienceRuntime(ticker, seedSalt, false);
            if (cluster != null) {
                r.bindCluster(cluster);
            }
            return r;
        }
    }
}
