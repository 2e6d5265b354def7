package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.spark.partition.PartitionMetrics;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomSumMetric;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;

/**
 * The sink's task metrics as DSv2 custom metrics: Spark sums the tasks' values and shows them on
 * the write node in the SQL tab of the UI (and keeps them in its status store). Spark creates the
 * metric classes by name, so each has a public no-argument constructor.
 */
public final class SinkMetrics {

    static final String WRITTEN = "rowsWritten";
    static final String DEAD_LETTERED = "rowsDeadLettered";
    static final String DUPLICATES = "duplicatesSkipped";
    static final String RETRIES = "retries";
    static final String THROTTLE_MS = "throttleWaitMs";
    static final String BREAKER_REJECTIONS = "breakerRejections";

    private SinkMetrics() {
    }

    static CustomMetric[] supported() {
        return new CustomMetric[] {new Written(), new DeadLettered(), new Duplicates(), new Retries(), new ThrottleWait(),
            new BreakerRejections()};
    }

    static CustomTaskMetric[] of(PartitionMetrics m) {
        long written = m == null ? 0 : m.succeeded() - m.duplicatesSkipped();
        return new CustomTaskMetric[] {
            task(WRITTEN, written),
            task(DEAD_LETTERED, m == null ? 0 : m.deadLettered()),
            task(DUPLICATES, m == null ? 0 : m.duplicatesSkipped()),
            task(RETRIES, m == null ? 0 : m.retried()),
            task(THROTTLE_MS, m == null ? 0 : m.throttleWaitMillis()),
            task(BREAKER_REJECTIONS, m == null ? 0 : m.breakerRejections())};
    }

    static CustomTaskMetric task(String name, long value) {
        return new CustomTaskMetric() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long value() {
                return value;
            }
        };
    }

    private abstract static class Sum extends CustomSumMetric {
        private final String name;
        private final String description;

        Sum(String name, String description) {
            this.name = name;
            this.description = description;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return description;
        }
    }

    public static final class Written extends Sum {
        public Written() {
            super(WRITTEN, "rows written (effects made)");
        }
    }

    public static final class DeadLettered extends Sum {
        public DeadLettered() {
            super(DEAD_LETTERED, "rows dead-lettered");
        }
    }

    public static final class Duplicates extends Sum {
        public Duplicates() {
            super(DUPLICATES, "rows skipped as already written");
        }
    }

    public static final class Retries extends Sum {
        public Retries() {
            super(RETRIES, "call retries");
        }
    }

    public static final class ThrottleWait extends Sum {
        public ThrottleWait() {
            super(THROTTLE_MS, "rate-limit wait (ms)");
        }
    }

    public static final class BreakerRejections extends Sum {
        public BreakerRejections() {
            super(BREAKER_REJECTIONS, "breaker rejections");
        }
    }
}
