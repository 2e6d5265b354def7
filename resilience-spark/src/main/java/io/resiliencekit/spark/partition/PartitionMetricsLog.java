package io.resiliencekit.spark.partition;

import io.resiliencekit.policy.ResilienceRuntime;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where metrics lines go in the executor JVM: the SLF4J logger {@code resiliencekit.partition.metrics}
 * at INFO (route it to its own file or a log shipper), plus in-JVM listeners.
 *
 * <pre>{@code
 * PartitionMetricsLog.addListener(line -> myMetrics.record(line));   // e.g. in a test, local mode
 * }</pre>
 */
public final class PartitionMetricsLog {

    public static final String LOGGER = "resiliencekit.partition.metrics";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private PartitionMetricsLog() {
    }

    public static void addListener(Consumer<PartitionMetrics> listener) {
        listeners().add(listener);
    }

    public static void removeListener(Consumer<PartitionMetrics> listener) {
        listeners().remove(listener);
    }

    // the listeners belong to the JVM's shared runtime, like every other piece of state
    @SuppressWarnings("unchecked")
    private static List<Consumer<PartitionMetrics>> listeners() {
        return ResilienceRuntime.shared().share("partition metrics listeners", "all", "all",
                k -> new CopyOnWriteArrayList<Consumer<PartitionMetrics>>());
    }

    /** Logs {@code m} (when {@code log}) and hands it to every listener; the helpers call this once per task attempt. */
    public static void publish(PartitionMetrics m, boolean log) {
        if (log && LOG.isInfoEnabled()) {
            LOG.info(m.toJson());
        }
        for (Consumer<PartitionMetrics> l : listeners()) {
            try {
                l.accept(m);
            } catch (RuntimeException e) {
                LOG.warn("metrics listener failed; ignored", e);
            }
        }
    }
}
