package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.spark.partition.ContentFunction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.spark.sql.Row;

/** Canonical bytes and SHA-256 hashing for idempotency keys and fingerprints; one instance per partition. */
public final class RecordKeys {

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final MessageDigest sha;

    public RecordKeys() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }

    public String sha256Hex(byte[] bytes) {
        return hex(sha.digest(bytes));
    }

    public static String hex(byte[] d) {
        char[] out = new char[d.length * 2];
        for (int i = 0; i < d.length; i++) {
            out[2 * i] = HEX[(d[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[d[i] & 0xF];
        }
        return new String(out);
    }

    /** Canonical bytes of a record: the user's function, else a type-aware default (never {@code toString()} of beans). */
    public static <T> byte[] content(T record, ContentFunction<T> fn) throws Exception {
        if (fn != null) {
            return fn.bytes(record);
        }
        if (record instanceof byte[] b) {
            return b;
        }
        if (record instanceof CharSequence s) {
            return s.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (record instanceof Row row) {
            StringBuilder sb = new StringBuilder(64);
            appendRow(sb, row);
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (record instanceof Number || record instanceof Boolean || record instanceof Character) {
            return (record.getClass().getSimpleName() + ':' + record).getBytes(StandardCharsets.UTF_8);
        }
        if (record instanceof Serializable) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(128);
            try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
                out.writeObject(record);
            }
            return bos.toByteArray();
        }
        throw new IllegalArgumentException("cannot derive canonical bytes of a " + record.getClass().getName()
            + "; give the helper keyBy(...) or contentBy(...)");
    }

    // Field separators and type tags keep ("a","bc") and ("ab","c") apart.
    private static void appendRow(StringBuilder sb, Row row) throws IOException {
        sb.append('[');
        for (int i = 0; i < row.size(); i++) {
            Object v = row.get(i);
            if (i > 0) {
                sb.append('\u001f');
            }
            if (v == null) {
                sb.append("\u0000N");
            } else if (v instanceof Row r) {
                appendRow(sb, r);
            } else if (v instanceof byte[] b) {
                sb.append("b:").append(hex(b));
            } else {
                sb.append(v.getClass().getSimpleName()).append(':').append(v);
            }
        }
        sb.append(']');
    }
}
