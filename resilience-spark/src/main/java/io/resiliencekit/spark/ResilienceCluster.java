package io.resiliencekit.spark;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where code running in a Spark JVM finds {@link ResiliencePlugin}'s coordination: on executors
 * (and in local mode) a {@link ClusterCoordinator} that talks to the driver; on the driver, the
 * {@link DriverServices} registry.
 *
 * <pre>{@code
 * ClusterCoordinator c = ResilienceCluster.coordinatorOrWarn("rate limiter 'api'").orElse(null);
 * if (c == null) { ...per-executor fallback... }
 * }</pre>
 *
 * <p>Without the plugin everything keeps working per executor JVM; the first component that asks
 * logs one warning per JVM saying what is lost.
 */
public final class ResilienceCluster {

    private static final Logger LOG = LoggerFactory.getLogger(ResilienceCluster.class);

    /** The value for {@code spark.plugins}. */
    public static final String PLUGIN_CLASS = "io.resiliencekit.spark.ResiliencePlugin";

    static final String NO_PLUGIN_WARNING = "ResiliencePlugin is not enabled (set spark.plugins="
            + PLUGIN_CLASS + "): resiliencekit coordinates per executor JVM only, so there is no global"
            + " rate (each executor's limiter admits the full rate), no shared circuit breaker (each"
            + " executor must find out on its own that a dependency is down) and no application-wide"
            + " idempotency ledger (keys are remembered per JVM only)";

    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private static volatile ClusterCoordinator executorSide;
    private static volatile DriverSide driverSide;

    private ResilienceCluster() {
    }

    /**
     * The coordinator for this JVM: the executor plugin's (RPC to the driver) on executors and in
     * local mode; a driver-local one on a driver without an executor plugin; empty without the plugin.
     */
    public static Optional<ClusterCoordinator> coordinator() {
        ClusterCoordinator c = executorSide;
        if (c != null) {
            return Optional.of(c);
        }
        DriverSide d = driverSide;
        return d == null ? Optional.empty() : Optional.of(d.localCoordinator());
    }

    /**
     * Like {@link #coordinator()}, and when empty logs (once per JVM) what is lost without the plugin.
     *
     * @param component what is asking, for the log line (e.g. "rate limiter 'orders-api'")
     */
    public static Optional<ClusterCoordinator> coordinatorOrWarn(String component) {
        Optional<ClusterCoordinator> c = coordinator();
        if (c.isEmpty() && WARNED.compareAndSet(false, true)) {
            LOG.warn("{} (first noticed by {})", NO_PLUGIN_WARNING, component);
        }
        return c;
    }

    /**
     * The JVM's shared runtime for {@code config} ({@link io.resiliencekit.policy.PolicyRegistry#shared()}),
     * with its circuit breaker bound to the cluster's breaker board. This is how executor-side code
     * (partition helpers, user functions) should resolve a policy: rate limiters and idempotency
     * guards reach the driver through their factories, the breaker through this binding.
     *
     * <pre>{@code
     * ResiliencePolicy policy = ResilienceCluster.policy(config); // inside mapPartitions
     * }</pre>
     */
    public static io.resiliencekit.policy.ResiliencePolicy policy(io.resiliencekit.policy.ResiliencePolicyConfig config) {
        return io.resiliencekit.spark.breaker.ClusterBreakers.share(io.resiliencekit.policy.PolicyRegistry.shared().policy(config));
    }

    /** True if the plugin runs in this JVM (driver or executor side). */
    public static boolean isPluginActive() {
        return executorSide != null || driverSide != null;
    }

    /**
     * The driver's service registry.
     *
     * @throws IllegalStateException if this JVM is not a driver running the plugin
     */
    public static DriverServices driverServices() {
        DriverSide d = driverSide;
        if (d == null) {
            throw new IllegalStateException("driverServices() needs the driver side of " + PLUGIN_CLASS
                    + " in this JVM (spark.plugins not set, or called on an executor)");
        }
        return d.services();
    }

    /** The validated plugin options of this JVM, or defaults without the plugin. */
    public static PluginOptions options() {
        DriverSide d = driverSide;
        if (d != null) {
            return d.options();
        }
        ClusterCoordinator c = executorSide;
        if (c instanceof ExecutorSide.PluginCoordinator) {
            return ((ExecutorSide.PluginCoordinator) c).options();
        }
        return PluginOptions.defaults();
    }

    static void bindExecutor(ClusterCoordinator c) {
        executorSide = c;
    }

    static void unbindExecutor(ClusterCoordinator c) {
        if (executorSide == c) {
            executorSide = null;
        }
    }

    static void bindDriver(DriverSide d) {
        driverSide = d;
    }

    static void unbindDriver(DriverSide d) {
        if (driverSide == d) {
            driverSide = null;
        }
    }

    /** Test hook: lets the one-time warning fire again. */
    static void resetWarning() {
        WARNED.set(false);
    }
}
