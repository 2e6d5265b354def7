package io.resiliencekit.spark.sink;

import java.util.Arrays;

/**
 * One row on its way to a {@link RecordSink}: its idempotency key (stable across task retries,
 * speculative copies and re-runs of the same {@code partition.runId}), its values as Java objects
 * in the write's column order, and the row as one JSON object.
 *
 * <pre>{@code
 * for (SinkRecord r : records) {
 *     api.send(r.json(), r.key());
 * }
 * }</pre>
 *
 * <p>Values: String, Integer, Long, Short, Byte, Double, Float, Boolean, BigDecimal, LocalDate
 * (date), Instant (timestamp), LocalDateTime (timestamp without time zone), byte[] (binary), or null.
 */
public final class SinkRecord {

    private final String key;
    private final String localKey;
    private final Object[] values;
    private final String json;

    /** For the data source and for tests of your own sinks. */
    public SinkRecord(String key, String localKey, Object[] values, String json) {
        this.key = key;
        this.localKey = localKey;
        this.values = values;
        this.json = json;
    }

    /** {@code namespace:runId:<row key>}: send it along (a header, a column) so the target can deduplicate. */
    public String key() {
        return key;
    }

    /** The row's part of the key: the {@code keyColumn}'s value, or the partition, content hash and occurrence. */
    public String localKey() {
        return localKey;
    }

    /** The value of column {@code i}. */
    public Object value(int i) {
        return values[i];
    }

    /** How many values the record has (the write's columns). */
    public int size() {
        return values.length;
    }

    /** The row as a JSON object, field names as the columns. */
    public String json() {
        return json;
    }

    @Override
    public String toString() {
        // values may hold personal data or secrets: only the key
        return "SinkRecord{key=" + key + ", columns=" + values.length + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SinkRecord r && key.equals(r.key) && Arrays.deepEquals(values, r.values);
    }

    @Override
    public int hashCode() {
        return key.hashCode();
    }
}
