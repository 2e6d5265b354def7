package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.policy.ResilienceRuntime;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where code running in a Spark JVM finds {@link ResiliencePlugin}'s coordination. The plugin binds
 * the application to the JVM's {@link ResilienceRuntime#shared() shared runtime} on every executor
 * and on the driver, so any policy obtained there is bound to the cluster in every capability
 * (rate, breaker, idempotency ledger); this class only reads that binding.
 *
 * <pre>{@code
 * ResiliencePolicy policy = ResilienceCluster.policy(config);   // inside mapPartitions
 * ClusterCoordinator c = ResilienceCluster.coordinatorOrWarn("my component").orElse(null);
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

    private ResilienceCluster() {
    }

    /**
     * The coordinator for this JVM: the executor plugin's (RPC to the driver) on executors and in
     * local mode; a driver-local one on a driver without an executor plugin; empty without the plugin.
     */
    public static Optional<ClusterCoordinator> coordinator() {
        return cluster().map(SparkCluster::coordinator);
    }

    /**
     * Like {@link #coordinator()}, and when empty logs (once per JVM) what is lost without the plugin.
     *
     * @param component what is asking, for the log line (e.g. "rate limiter 'orders-api'")
     */
    public static Optional<ClusterCoordinator> coordinatorOrWarn(String component) {
        Optional<ClusterCoordinator> c = coordinator();
        if (c.isEmpty() && warned().compareAndSet(false, true)) {
            if (pluginShutDownForThisApplication()) {
                // the plugin was on and has shut down (the executor or application is stopping): no false alarm
                LOG.info("ResiliencePlugin has shut down in this JVM; {} runs per JVM from now on", component);
            } else {
                LOG.warn("{} (first noticed by {})", NO_PLUGIN_WARNING, component);
            }
        }
        return c;
    }

    /**
     * The JVM's policy for {@code config} ({@link ResilienceRuntime#shared()}): bound to the cluster in
     * every capability when the plugin runs here, per JVM (after one warning) when it does not.
     *
     * <pre>{@code
     * ResiliencePolicy policy = ResilienceCluster.policy(config); // inside mapPartitions
     * }</pre>
     *
     * @throws io.resiliencekit.config.ConfigException if this JVM has a policy of that name with another config
     */
    public static ResiliencePolicy policy(ResiliencePolicyConfig config) {
        coordinatorOrWarn("policy '" + config.name() + "'");
        return ResilienceRuntime.shared().policy(config);
    }

    /** True if the plugin runs in this JVM (driver or executor side). */
    public static boolean isPluginActive() {
        return cluster().isPresent();
    }

    /**
     * The driver's service registry.
     *
     * @throws IllegalStateException if this JVM is not a driver running the plugin
     */
    public static DriverServices driverServices() {
        return driverSide().map(DriverSide::services).orElseThrow(() -> new IllegalStateException(
                "driverServices() needs the driver side of " + PLUGIN_CLASS
                        + " in this JVM (spark.plugins not set, or called on an executor)"));
    }

    /** The driver side of the plugin in this JVM, if this is the driver (or local mode). */
    static Optional<DriverSide> driverSide() {
        return cluster().flatMap(SparkCluster::driver);
    }

    /** The validated plugin options of this JVM, or defaults without the plugin. */
    public static PluginOptions options() {
        return cluster().map(SparkCluster::options).orElseGet(PluginOptions::defaults);
    }

    private static Optional<SparkCluster> cluster() {
        return ResilienceRuntime.shared().cluster().filter(SparkCluster.class::isInstance).map(SparkCluster.class::cast);
    }

    // the one-time warning lives in the shared runtime, like every other piece of state
    private static AtomicBoolean warned() {
        return ResilienceRuntime.shared().share("warning", "no-plugin", "no-plugin", k -> new AtomicBoolean());
    }

    // the application whose plugin unbound this JVM at shutdown (a later bind forgets it with everything else)
    private static AtomicReference<String> shutDown() {
        return ResilienceRuntime.shared().share("plugin", "shut-down", "shut-down", k -> new AtomicReference<>());
    }

    private static String applicationId() {
        SparkEnv env = SparkEnv.get();
        return env == null ? null : env.conf().get("spark.app.id", null);
    }

    /** True when the plugin ran for this JVM's application (or for the last one, the application is gone) and shut down. */
    private static boolean pluginShutDownForThisApplication() {
        String stopped = shutDown().get();
        if (stopped == null) {
            return false;
        }
        String now = applicationId();
        return now == null || now.equals(stopped);
    }

    /**
     * The plugin has unbound this JVM (executor or application shutdown): tasks still running then
     * must not be told the plugin "is not enabled". Another application in this JVM later is told.
     */
    static void markShutDown() {
        String app = applicationId();
        shutDown().set(app == null ? "" : app);
    }

    /** Test hook: lets the one-time warning fire again. */
    static void resetWarning() {
        warned().set(false);
    }
}
