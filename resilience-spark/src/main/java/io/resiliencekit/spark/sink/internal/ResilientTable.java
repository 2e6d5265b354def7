package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.config.Secrets;
import io.resiliencekit.spark.sink.RecordSink;
import io.resiliencekit.spark.sink.SinkUnavailableException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.connector.catalog.SupportsWrite;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.metric.CustomMetric;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.connector.write.BatchWrite;
import org.apache.spark.sql.connector.write.DataWriterFactory;
import org.apache.spark.sql.connector.write.LogicalWriteInfo;
import org.apache.spark.sql.connector.write.PhysicalWriteInfo;
import org.apache.spark.sql.connector.write.Write;
import org.apache.spark.sql.connector.write.WriteBuilder;
import org.apache.spark.sql.connector.write.WriterCommitMessage;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-only table behind {@code format("resilient")}. Options are validated, and the sink's
 * health check made, when Spark builds the write on the driver: before any task starts.
 */
public final class ResilientTable implements SupportsWrite {

    private static final Logger LOG = LoggerFactory.getLogger(ResilientTable.class);
    private static final String OPTION_PREFIX = "option.";

    private final StructType schema;
    private final Map<String, String> properties;

    public ResilientTable(StructType schema, Map<String, String> properties) {
        this.schema = schema == null ? new StructType() : schema;
        this.properties = properties == null ? Map.of() : Map.copyOf(properties);
    }

    @Override
    public String name() {
        return "resilient";
    }

    @Override
    @Deprecated
    public StructType schema() {
        return schema;
    }

    @Override
    public Set<TableCapability> capabilities() {
        // df.write(): the rows' own columns are what a sink sends; a catalog table (CREATE TABLE ... (columns)
        // USING resilient) has its columns, and Spark aligns an INSERT's query to them
        return schema.fields().length == 0 ? EnumSet.of(TableCapability.BATCH_WRITE, TableCapability.ACCEPT_ANY_SCHEMA)
            : EnumSet.of(TableCapability.BATCH_WRITE);
    }

    @Override
    public Map<String, String> properties() {
        return properties;
    }

    @Override
    public WriteBuilder newWriteBuilder(LogicalWriteInfo info) {
        // the table's options, the write's own on top. A catalog table (CREATE TABLE ... OPTIONS) hands its options over as option.<key> among its own
        // properties (provider, owner, location...); df.write() hands over the options alone
        boolean catalogTable = properties.keySet().stream()
            .anyMatch(k -> k.regionMatches(true, 0, OPTION_PREFIX, 0, OPTION_PREFIX.length()));
        Map<String, String> options = new LinkedHashMap<>();
        properties.forEach((k, v) -> {
            if (!catalogTable) {
                options.put(k, v);
            } else if (k.regionMatches(true, 0, OPTION_PREFIX, 0, OPTION_PREFIX.length())) {
                options.put(k.substring(OPTION_PREFIX.length()), v);
            }
        });
        options.keySet().removeIf(k -> k.equalsIgnoreCase("path"));   // Spark adds it to file-like sources
        info.options().asCaseSensitiveMap().forEach((k, v) -> {
            options.keySet().removeIf(k::equalsIgnoreCase);
            options.put(k, v);
        });
        StructType rows = info.schema();
        return new WriteBuilder() {
            @Override
            public Write build() {
                SinkSettings settings = SinkSettings.parse(options, rows);
                prepare(settings);
                return new ResilientWrite(settings);
            }
        };
    }

    /** Opens the sink on the driver (the jdbc sink creates its ledger table) and runs its health check. */
    private static void prepare(SinkSettings settings) {
        try (RecordSink sink = RecordSinks.open(settings, null)) {
            if (settings.sink().healthCheck()) {
                sink.healthCheck();
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new SinkUnavailableException(settings.sink().sink() + " sink health check failed: "
                + Secrets.scrub(String.valueOf(e.getMessage())) + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The validated write; its metrics are the sink's custom metrics. */
    static final class ResilientWrite implements Write, BatchWrite {
        private final SinkSettings settings;
        private volatile long[] totals = new long[5];

        ResilientWrite(SinkSettings settings) {
            this.settings = settings;
        }

        @Override
        public String description() {
            return "resilient sink " + settings.sink().sink();
        }

        @Override
        public BatchWrite toBatch() {
            return this;
        }

        @Override
        public CustomMetric[] supportedCustomMetrics() {
            return SinkMetrics.supported();
        }

        /** Spark 4.x asks for driver-side metrics through this default method; 3.5 never calls it. */
        public CustomTaskMetric[] reportDriverMetrics() {
            long[] t = totals;
            return new CustomTaskMetric[] {SinkMetrics.task(SinkMetrics.WRITTEN, t[0]),
                SinkMetrics.task(SinkMetrics.DEAD_LETTERED, t[1]), SinkMetrics.task(SinkMetrics.DUPLICATES, t[2])};
        }

        @Override
        public DataWriterFactory createBatchWriterFactory(PhysicalWriteInfo info) {
            return new SinkDataWriter.Factory(settings);
        }

        @Override
        public void commit(WriterCommitMessage[] messages) {
            long[] t = new long[5];
            for (WriterCommitMessage m : messages) {
                if (m instanceof SinkCommitMessage c && c.metrics() != null) {
                    t[0] += c.metrics().succeeded() - c.metrics().duplicatesSkipped() - c.keysFoundInLedger();
                    t[1] += c.metrics().deadLettered();
                    t[2] += c.metrics().duplicatesSkipped() + c.keysFoundInLedger();
                    t[3] += c.metrics().retried();
                    t[4] += c.metrics().rowsIn();
                }
            }
            totals = t;
            LOG.info("{{\"metric\":\"resiliencekit.sink\",\"sink\":\"{}\",\"policy\":\"{}\",\"runId\":\"{}\",\"rowsIn\":{},"
                + "\"written\":{},\"deadLettered\":{},\"duplicatesSkipped\":{},\"retries\":{}}}", settings.sink().sink(),
                settings.policy().name(), settings.partition().runId(), t[4], t[0], t[1], t[2], t[3]);
        }

        @Override
        public void abort(WriterCommitMessage[] messages) {
            // effects already made carry their keys; a re-run with the same partition.runId skips them
            LOG.warn("resilient sink write of run {} aborted; re-run it with the same partition.runId to finish it",
                settings.partition().runId());
        }
    }
}
