package io.resiliencekit.spark.sink;

import io.resiliencekit.spark.partition.PartitionInfo;
import java.util.Map;
import org.apache.spark.sql.types.StructType;

/**
 * What a {@link RecordSink} gets to open with: its own options ({@code custom.<name>}), the schema
 * of the rows, the logical run and, in a task, the partition.
 *
 * <pre>{@code
 * public void open(SinkContext context) {
 *     String url = context.option("queueUrl");              // from custom.queueUrl
 *     int idColumn = context.schema().fieldIndex("id");
 * }
 * }</pre>
 */
public final class SinkContext {

    private final Map<String, String> options;
    private final StructType schema;
    private final String runId;
    private final PartitionInfo partition;

    /** For the data source and for tests of your own sinks. */
    public SinkContext(Map<String, String> options, StructType schema, String runId, PartitionInfo partition) {
        this.options = Map.copyOf(options);
        this.schema = schema;
        this.runId = runId;
        this.partition = partition;
    }

    /** The value of {@code custom.<name>} (names as given, matched case-insensitively), or null. */
    public String option(String name) {
        String v = options.get(name);
        if (v == null) {
            for (Map.Entry<String, String> e : options.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue();
                }
            }
        }
        return v;
    }

    /** Every {@code custom.*} option without its prefix. May hold secrets: do not log. */
    public Map<String, String> options() {
        return options;
    }

    /** The columns of the rows written. */
    public StructType schema() {
        return schema;
    }

    /** The logical run ({@code partition.runId}) the keys are derived from. */
    public String runId() {
        return runId;
    }

    /** The task's partition; null on the driver (health check). */
    public PartitionInfo partition() {
        return partition;
    }

    @Override
    public String toString() {
        return "SinkContext{options=" + options.keySet() + ", runId=" + runId + ", partition="
            + (partition == null ? "driver" : partition.partition()) + "}";
    }
}
