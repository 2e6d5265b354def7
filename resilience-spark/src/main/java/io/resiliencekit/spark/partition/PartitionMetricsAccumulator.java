package io.resiliencekit.spark.partition;

import io.resiliencekit.spark.partition.internal.LostAttempts;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.AccumulatorV2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects every task attempt's {@link PartitionMetrics} on the driver, failed attempts included,
 * so {@link PartitionReport} can total, rank and spot skew.
 *
 * <pre>{@code
 * PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "orders");
 * orders.foreachPartition(Partitions.<Order>using(policy, opts).metrics(acc).foreach(o -> api.send(o)));
 * System.out.println(PartitionReport.of(acc.value()).format());
 * }</pre>
 *
 * <p>Registered with Spark's {@code countFailedValues} flag so the line of a partition that failed
 * reaches the driver too (Spark drops failed tasks' updates otherwise). For result stages Spark
 * merges a successful partition once, so a speculative twin's line is not double counted. An
 * attempt whose executor JVM died sends no line at all: the driver's {@link #value()} then adds one
 * with status {@code lost} and Spark's reason as its error (its counts died with the JVM), so the
 * report says that attempt failed.
 */
public final class PartitionMetricsAccumulator extends AccumulatorV2<PartitionMetrics, List<PartitionMetrics>> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionMetricsAccumulator.class);

    private final List<PartitionMetrics> lines = new ArrayList<>();
    // on the driver only: the attempts Spark saw fail (a listener on the SparkContext)
    private transient LostAttempts lost;

    /** Creates and registers an accumulator that also counts failed tasks' lines. */
    public static PartitionMetricsAccumulator register(SparkContext sc, String name) {
        PartitionMetricsAccumulator acc = new PartitionMetricsAccumulator();
        acc.lost = new LostAttempts();
        sc.addSparkListener(acc.lost);
        try {
            // AccumulatorV2.register(sc, Option[String], countFailedValues) is Spark-internal but
            // stable since 2.0; reached by reflection so no Scala type appears in our bytecode.
            Class<?> option = Class.forName("scala.Option");
            Object someName = option.getMethod("apply", Object.class).invoke(null, "resiliencekit." + name);
            Method register = AccumulatorV2.class.getMethod("register", SparkContext.class, option, boolean.class);
            register.invoke(acc, sc, someName, true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("could not register accumulator '{}' with countFailedValues ({}); lines of failed partitions "
                + "will be missing from the driver report", name, e.toString());
            sc.register(acc, "resiliencekit." + name);
        }
        return acc;
    }

    @Override
    public synchronized boolean isZero() {
        return lines.isEmpty();
    }

    @Override
    public synchronized PartitionMetricsAccumulator copy() {
        PartitionMetricsAccumulator c = new PartitionMetricsAccumulator();
        c.lines.addAll(lines);
        return c;
    }

    @Override
    public synchronized void reset() {
        lines.clear();
    }

    @Override
    public synchronized void add(PartitionMetrics v) {
        lines.add(v);
    }

    @Override
    public void merge(AccumulatorV2<PartitionMetrics, List<PartitionMetrics>> other) {
        List<PartitionMetrics> theirs = other.value();
        synchronized (this) {
            lines.addAll(theirs);
        }
    }

    /** Every line that arrived, plus (on the driver) a {@code lost} line for each attempt whose executor died. */
    @Override
    public List<PartitionMetrics> value() {
        List<PartitionMetrics> mine;
        synchronized (this) {
            mine = List.copyOf(lines);
        }
        LostAttempts l = lost;
        if (l == null) {
            return mine;
        }
        List<PartitionMetrics> missing = l.missingFrom(mine);
        if (missing.isEmpty()) {
            return mine;
        }
        List<PartitionMetrics> all = new ArrayList<>(mine);
        all.addAll(missing);
        return List.copyOf(all);
    }
}
