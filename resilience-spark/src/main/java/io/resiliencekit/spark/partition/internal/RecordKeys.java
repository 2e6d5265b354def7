package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.CallContext;
import io.resiliencekit.idempotency.CanonicalForm;
import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.spark.partition.ContentFunction;
import io.resiliencekit.spark.partition.KeyFunction;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.AbstractList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.UUID;
import org.apache.spark.sql.Row;

/**
 * The idempotency keys and fingerprints of one partition's records, through core's
 * {@link IdempotencyKeys}: the record's canonical form streams into SHA-256 and the key is built once
 * from the digest ({@code namespace:runId:p<partition>:<hex>}), or it is the record's business key
 * ({@code namespace:runId:<key>}, with the content's SHA-256 as the fingerprint). A content key needs
 * no fingerprint: the key is the content's hash.
 *
 * <p>Content: the user's {@link ContentFunction} bytes as they are; a {@link Row} as the list of its
 * values (nested rows, arrays and maps too; timestamps and dates as ISO instants and dates); maps,
 * lists, strings, numbers and the other {@link CanonicalForm} types by their canonical form; any other
 * {@code Serializable} by its Java serialization.
 */
public final class RecordKeys {

    private final IdempotencyKeys keys;
    private final String runId;
    private final String recordScope;
    private final String batchScope;

    public RecordKeys(String namespace, String runId, int partition) {
        this.keys = IdempotencyKeys.namespace(namespace);
        this.runId = IdempotencyKeys.validateRunId(runId);
        this.recordScope = "p" + partition;
        this.batchScope = recordScope + ":b";
    }

    /** The call context of one record. */
    public <T> CallContext record(T record, KeyFunction<T> keyFn, ContentFunction<T> contentFn) throws Exception {
        if (keyFn != null) {
            return CallContext.ofKey(keys.forBusinessKey(runId, keyFn.key(record)), fingerprint(record, contentFn));
        }
        if (contentFn != null) {
            return CallContext.ofKey(keys.forBytes(runId, recordScope, contentFn.bytes(record)));
        }
        Object canonical = canonical(record);
        return CallContext.ofKey(canonical != null ? keys.forContent(runId, recordScope, canonical)
            : keys.forBytes(runId, recordScope, serialized(record)));
    }

    /**
     * The call context of a batch whose first record is at {@code firstOffset} of the partition: its
     * key and fingerprint cover every record of it, in order.
     */
    public <T> CallContext batch(List<T> batch, long firstOffset, KeyFunction<T> keyFn, ContentFunction<T> contentFn)
            throws Exception {
        Object[] identities = new Object[batch.size()];
        for (int i = 0; i < identities.length; i++) {
            T r = batch.get(i);
            identities[i] = keyFn != null ? keyFn.key(r) : content(r, contentFn);
            if (identities[i] == null && keyFn != null) {
                // core rejects a null business key; in a batch it would silently become part of the key (B5)
                throw new IllegalArgumentException("business key is null for the record at offset "
                    + (firstOffset + i) + ": the key function must return the record's business key");
            }
        }
        return CallContext.ofKey(keys.forContent(runId, batchScope, identities));
    }

    private <T> String fingerprint(T record, ContentFunction<T> contentFn) throws Exception {
        Object content = content(record, contentFn);
        return content instanceof byte[] ? Fingerprints.sha256Hex((byte[]) content) : Fingerprints.of(content);
    }

    /** What identifies a record's content: its canonical value, or bytes (the user's, or serialized). */
    private static <T> Object content(T record, ContentFunction<T> contentFn) throws Exception {
        if (contentFn != null) {
            return contentFn.bytes(record);
        }
        Object canonical = canonical(record);
        return canonical != null ? canonical : serialized(record);
    }

    /** The record as a value {@link CanonicalForm} encodes, or null if only Java serialization describes it. */
    static Object canonical(Object record) {
        if (record instanceof Row) {
            return new RowValues((Row) record);
        }
        if (record == null || record instanceof String || record instanceof Number || record instanceof Boolean
            || record instanceof Character || record instanceof Enum || record instanceof UUID || isTime(record)
            || record instanceof byte[] || record instanceof Map || record instanceof Collection
            || record instanceof Object[] || record instanceof CanonicalForm.Canonical || record.getClass().isRecord()) {
            return record;
        }
        if (record instanceof CharSequence) {
            return record.toString();
        }
        return null;
    }

    private static boolean isTime(Object v) {
        return v instanceof java.time.Instant || v instanceof java.time.LocalDate || v instanceof java.time.LocalDateTime
            || v instanceof java.time.OffsetDateTime;
    }

    private static byte[] serialized(Object record) throws Exception {
        if (!(record instanceof Serializable)) {
            throw new IllegalArgumentException("cannot derive canonical bytes of a " + record.getClass().getName()
                + "; give the helper keyBy(...) or contentBy(...)");
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream(128);
        try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
            out.writeObject(record);
        }
        return bos.toByteArray();
    }

    /** A row seen as the list of its values, converted to canonical types as they are read (no copy). */
    static final class RowValues extends AbstractList<Object> implements RandomAccess {
        private final Row row;

        RowValues(Row row) {
            this.row = row;
        }

        @Override
        public int size() {
            return row.size();
        }

        @Override
        public Object get(int i) {
            Object v = row.get(i);
            if (v == null || v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Double
                || v instanceof Boolean || v instanceof BigDecimal || v instanceof byte[]) {
                return v;
            }
            Object known = value(v);
            if (known != v || isCanonical(v)) {
                return known;
            }
            // Spark's arrays and maps are Scala collections: read them through Row's Java views
            try {
                return new Values(row.getList(i));
            } catch (ClassCastException notASeq) {
                try {
                    return map(row.getJavaMap(i));
                } catch (ClassCastException notAMap) {
                    return v; // CanonicalForm names the type and where it is
                }
            }
        }

        private static boolean isCanonical(Object v) {
            return v instanceof Number || v instanceof Character || isTime(v) || v instanceof Map
                || v instanceof Collection || v instanceof Object[];
        }
    }

    /** A list whose items are converted as they are read. */
    private static final class Values extends AbstractList<Object> implements RandomAccess {
        private final List<?> items;

        Values(List<?> items) {
            this.items = items;
        }

        @Override
        public int size() {
            return items.size();
        }

        @Override
        public Object get(int i) {
            return value(items.get(i));
        }
    }

    private static Map<Object, Object> map(Map<?, ?> m) {
        Map<Object, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(value(k), value(v)));
        return out;
    }

    /** An element of a row, list or map in a canonical type. */
    private static Object value(Object v) {
        if (v instanceof Row) {
            return new RowValues((Row) v);
        }
        if (v instanceof java.sql.Timestamp) {
            return ((java.sql.Timestamp) v).toInstant();
        }
        if (v instanceof java.sql.Date) {
            return ((java.sql.Date) v).toLocalDate();
        }
        return v;
    }
}
