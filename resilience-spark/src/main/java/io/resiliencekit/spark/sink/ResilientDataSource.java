package io.resiliencekit.spark.sink;

import io.resiliencekit.spark.sink.internal.ResilientTable;
import java.util.Map;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The {@code resilient} data source (DataSource V2, write only): rows to an HTTP API, a database
 * or your own {@link RecordSink}, under a policy, with idempotency keys, dead letters and task
 * metrics. Registered by its short name, so SQL, PySpark and Spark Connect clients reach it too.
 *
 * <pre>{@code
 * orders.write().format("resilient")
 *     .option("sink", "http")
 *     .option("http.baseUri", "https://api.example.com/v1").option("http.path", "/orders")
 *     .option("http.header.Authorization", "Bearer " + token)
 *     .option("partition.runId", "2024-06-01")
 *     .option("rateLimit.rate", "100").option("rateLimit.authority", "cluster")
 *     .mode("append")
 *     .save();
 * }</pre>
 *
 * <p>Options: {@link SinkOptions} and {@code docs/options.md}; the guide is {@code docs/guide-sink.md}.
 */
public final class ResilientDataSource implements TableProvider, DataSourceRegister {

    /** The short name: {@code format("resilient")}, {@code USING resilient}. */
    public static final String SHORT_NAME = "resilient";

    @Override
    public String shortName() {
        return SHORT_NAME;
    }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        return new StructType();   // a sink accepts the rows' schema (ACCEPT_ANY_SCHEMA)
    }

    @Override
    public boolean supportsExternalMetadata() {
        return true;   // CREATE TABLE ... (columns) USING resilient
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        return new ResilientTable(schema, properties);
    }
}
