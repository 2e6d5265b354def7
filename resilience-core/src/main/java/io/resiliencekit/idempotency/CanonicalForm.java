package io.resiliencekit.idempotency;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A canonical, version-stable byte form of a record, for content hashes that are the same in every
 * JVM, on every run, whatever the map implementation or number type: never {@code toString()}.
 *
 * <pre>{@code
 * byte[] a = CanonicalForm.bytes(Map.of("id", 7, "tags", List.of("x", "y")));
 * byte[] b = CanonicalForm.bytes(new TreeMap<>(Map.of("tags", List.of("x", "y"), "id", 7L)));
 * assert Arrays.equals(a, b);   // key order and Integer vs Long do not matter
 * }</pre>
 *
 * <p>Encoding (one tag byte, then the value; lengths and counts are 4-byte big-endian):
 * <ul>
 *   <li>{@code null}: {@code N}; booleans: {@code T} / {@code F};</li>
 *   <li>numbers by value, not by type: an integral value ({@code 7}, {@code 7L}, {@code 7.0},
 *       {@code BigDecimal("7.00")}) is {@code I} + its decimal digits; other finite values are
 *       {@code D} + the plain decimal string of the shortest exact form ({@code 0.1f} and
 *       {@code 0.1d} both give {@code 0.1}); NaN and infinities are {@code X} + their name;</li>
 *   <li>strings, chars, enums (by name), {@link UUID}, {@link Instant}, {@link LocalDate},
 *       {@link LocalDateTime}, {@link OffsetDateTime} (ISO-8601): {@code S} + UTF-8 bytes;
 *       {@code byte[]}: {@code B} + bytes;</li>
 *   <li>lists, arrays and other ordered collections: {@code L} + count + items in order;
 *       sets: {@code E} + count + items sorted by their canonical bytes;</li>
 *   <li>maps: {@code M} + count + (key, value) pairs sorted by the keys' canonical bytes;
 *       records: like a map of component name to value;</li>
 *   <li>{@link Canonical}: whatever {@link Canonical#canonicalValue()} returns.</li>
 * </ul>
 * Anything else is rejected with an {@link IllegalArgumentException} naming the type and path,
 * because its only generic rendering, {@code toString()}, is not stable.
 */
public final class CanonicalForm {

    /** Implemented by types that describe themselves as a canonical value (map, list, primitives). */
    @FunctionalInterface
    public interface Canonical {
        Object canonicalValue();
    }

    private static final int MAX_DEPTH = 64;

    private CanonicalForm() {
    }

    /** The canonical bytes of {@code value}. */
    public static byte[] bytes(Object value) {
        Buf out = new Buf(256);
        write(value, out, "$", 0, null);
        return out.toByteArray();
    }

    /** Appends the canonical bytes of {@code value} to {@code out}. */
    public static void writeTo(Object value, ByteArrayOutputStream out) {
        byte[] b = bytes(value);
        out.write(b, 0, b.length);
    }

    private static void write(Object v, Buf out, String path, int depth, IdentityHashMap<Object, Boolean> seen) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("record nested deeper than " + MAX_DEPTH + " levels at " + path
                + " (cycle?)");
        }
        if (v == null) {
            out.write('N');
        } else if (v instanceof String) {
            string((String) v, out);
        } else if (v instanceof Boolean) {
            out.write((Boolean) v ? 'T' : 'F');
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            integral(Long.toString(((Number) v).longValue()), out);
        } else if (v instanceof Double || v instanceof Float) {
            floating(((Number) v).doubleValue(), v instanceof Float ? Float.toString((Float) v) : null, out);
        } else if (v instanceof BigInteger) {
            integral(v.toString(), out);
        } else if (v instanceof BigDecimal) {
            decimal((BigDecimal) v, out);
        } else if (v instanceof Number) {
            // AtomicLong, LongAdder...: by value, when it is integral
            if (v instanceof java.util.concurrent.atomic.AtomicInteger || v instanceof java.util.concurrent.atomic.AtomicLong) {
                integral(Long.toString(((Number) v).longValue()), out);
            } else {
                throw unsupported(v, path);
            }
        } else if (v instanceof Character || v instanceof Enum || v instanceof UUID || v instanceof Instant
            || v instanceof LocalDate || v instanceof LocalDateTime || v instanceof OffsetDateTime) {
            string(v instanceof Enum ? ((Enum<?>) v).name() : v.toString(), out);
        } else if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            out.write('B');
            out.writeInt(b.length);
            out.write(b, 0, b.length);
        } else if (v instanceof Canonical) {
            write(((Canonical) v).canonicalValue(), out, path, depth + 1, seen);
        } else if (v instanceof Map) {
            map((Map<?, ?>) v, out, path, depth, enter(v, path, seen));
        } else if (v instanceof Set) {
            IdentityHashMap<Object, Boolean> s = enter(v, path, seen);
            Collection<?> c = (Collection<?>) v;
            List<byte[]> items = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                Buf b = new Buf(32);
                write(o, b, path + "[" + i++ + "]", depth + 1, s);
                items.add(b.toByteArray());
            }
            items.sort(Arrays::compareUnsigned);
            out.write('E');
            out.writeInt(items.size());
            for (byte[] b : items) {
                out.write(b, 0, b.length);
            }
            leave(v, s);
        } else if (v instanceof Collection) {
            IdentityHashMap<Object, Boolean> s = enter(v, path, seen);
            Collection<?> c = (Collection<?>) v;
            out.write('L');
            out.writeInt(c.size());
            int i = 0;
            for (Object o : c) {
                write(o, out, path + "[" + i++ + "]", depth + 1, s);
            }
            leave(v, s);
        } else if (v instanceof Object[]) {
            Object[] a = (Object[]) v;
            out.write('L');
            out.writeInt(a.length);
            for (int i = 0; i < a.length; i++) {
                write(a[i], out, path + "[" + i + "]", depth + 1, seen);
            }
        } else if (v.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(v);
            out.write('L');
            out.writeInt(n);
            for (int i = 0; i < n; i++) {
                write(java.lang.reflect.Array.get(v, i), out, path + "[" + i + "]", depth + 1, seen);
            }
        } else if (v.getClass().isRecord()) {
            RecordComponent[] rc = v.getClass().getRecordComponents();
            Map<String, Object> m = new java.util.HashMap<>();
            for (RecordComponent c : rc) {
                try {
                    var acc = c.getAccessor();
                    acc.setAccessible(true);
                    m.put(c.getName(), acc.invoke(v));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalArgumentException("cannot read record component " + path + "." + c.getName()
                        + " of " + v.getClass().getName() + ": " + e, e);
                }
            }
            map(m, out, path, depth, seen);
        } else {
            throw unsupported(v, path);
        }
    }

    private static IdentityHashMap<Object, Boolean> enter(Object v, String path, IdentityHashMap<Object, Boolean> seen) {
        IdentityHashMap<Object, Boolean> s = seen == null ? new IdentityHashMap<>() : seen;
        if (s.put(v, Boolean.TRUE) != null) {
            throw new IllegalArgumentException("record contains a cycle at " + path);
        }
        return s;
    }

    private static void leave(Object v, IdentityHashMap<Object, Boolean> s) {
        s.remove(v);
    }

    private static void map(Map<?, ?> m, Buf out, String path, int depth, IdentityHashMap<Object, Boolean> seen) {
        IdentityHashMap<Object, Boolean> s = seen == null ? new IdentityHashMap<>() : seen;
        byte[][] keys = new byte[m.size()][];
        byte[][] values = new byte[m.size()][];
        Integer[] order = new Integer[m.size()];
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            Buf k = new Buf(16);
            write(e.getKey(), k, path + ".<key>", depth + 1, s);
            Buf val = new Buf(32);
            write(e.getValue(), val, path + "." + e.getKey(), depth + 1, s);
            keys[i] = k.toByteArray();
            values[i] = val.toByteArray();
            order[i] = i;
            i++;
        }
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
        out.write('M');
        out.writeInt(order.length);
        for (int j = 0; j < order.length; j++) {
            if (j > 0 && Arrays.equals(keys[order[j]], keys[order[j - 1]])) {
                throw new IllegalArgumentException("map at " + path
                    + " has two keys with the same canonical value (e.g. 1 and 1L)");
            }
            out.write(keys[order[j]], 0, keys[order[j]].length);
            out.write(values[order[j]], 0, values[order[j]].length);
        }
        if (seen != null) {
            s.remove(m);
        }
    }

    private static void string(String s, Buf out) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('S');
        out.writeInt(b.length);
        out.write(b, 0, b.length);
    }

    private static void integral(String digits, Buf out) {
        out.write('I');
        out.writeInt(digits.length());
        for (int i = 0; i < digits.length(); i++) {
            out.write(digits.charAt(i));
        }
    }

    private static void floating(double d, String floatText, Buf out) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String name = Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
            out.write('X');
            out.writeInt(name.length());
            for (int i = 0; i < name.length(); i++) {
                out.write(name.charAt(i));
            }
            return;
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            integral(Long.toString((long) d), out); // also folds -0.0 into 0
            return;
        }
        // Shortest decimal that round-trips (Float.toString for floats, so 0.1f is 0.1, not 0.100000001...).
        decimal(new BigDecimal(floatText != null ? floatText : Double.toString(d)), out);
    }

    private static void decimal(BigDecimal bd, Buf out) {
        BigDecimal s = bd.signum() == 0 ? BigDecimal.ZERO : bd.stripTrailingZeros();
        if (s.scale() <= 0) {
            integral(s.toBigIntegerExact().toString(), out);
            return;
        }
        String text = s.toPlainString();
        out.write('D');
        out.writeInt(text.length());
        for (int i = 0; i < text.length(); i++) {
            out.write(text.charAt(i));
        }
    }

    private static IllegalArgumentException unsupported(Object v, String path) {
        return new IllegalArgumentException("cannot build a canonical form of " + v.getClass().getName() + " at "
            + path + ": use maps, lists, strings, numbers, booleans, byte[], records, or implement "
            + "CanonicalForm.Canonical (toString() is not stable enough for a content hash)");
    }

    /** An unsynchronized byte buffer (ByteArrayOutputStream locks on every write). */
    static final class Buf {
        private byte[] buf;
        private int size;

        Buf(int capacity) {
            buf = new byte[capacity];
        }

        void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        void writeInt(int v) {
            ensure(4);
            buf[size++] = (byte) (v >>> 24);
            buf[size++] = (byte) (v >>> 16);
            buf[size++] = (byte) (v >>> 8);
            buf[size++] = (byte) v;
        }

        void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        private void ensure(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, size);
        }
    }
}
