package io.resiliencekit.idempotency;

// The encoder as of 0.1.0 (buffers per map entry), kept as the oracle that the streaming encoder writes the same bytes.

import java.io.ByteArrayOutputStream;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

final class CanonicalFormV1 {


    private static final int MAX_DEPTH = 64;

    private CanonicalFormV1() {
    }

    /** The canonical bytes of {@code value}. */
    static byte[] bytes(Object value) {
        Buf out = new Buf(256);
        try {
            write(value, out, 0);
        } catch (Bad e) {
            throw new IllegalArgumentException(e.describe(), e.getCause());
        }
        return out.toByteArray();
    }

    /** Appends the canonical bytes of {@code value} to {@code out}. */
    static void writeTo(Object value, ByteArrayOutputStream out) {
        byte[] b = bytes(value);
        out.write(b, 0, b.length);
    }

    /**
     * A problem deep inside a value. The path is assembled while the exception unwinds, so the
     * common case (no problem) builds no path strings at all.
     */
    private static final class Bad extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String before;
        private final String after;
        private final StringBuilder path = new StringBuilder();

        Bad(String before, String after, Throwable cause) {
            super(before, cause, false, false);
            this.before = before;
            this.after = after;
        }

        Bad at(String segment) {
            path.insert(0, segment);
            return this;
        }

        String describe() {
            return before + " at $" + path + after;
        }
    }

    private static void write(Object v, Buf out, int depth) {
        if (depth > MAX_DEPTH) {
            throw new Bad("record nested deeper than " + MAX_DEPTH + " levels", " (does it contain a cycle?)", null);
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
        } else if (v instanceof java.util.concurrent.atomic.AtomicInteger || v instanceof java.util.concurrent.atomic.AtomicLong) {
            integral(Long.toString(((Number) v).longValue()), out);
        } else if (v instanceof Character || v instanceof Enum || v instanceof UUID || v instanceof Instant
            || v instanceof LocalDate || v instanceof LocalDateTime || v instanceof OffsetDateTime) {
            string(v instanceof Enum ? ((Enum<?>) v).name() : v.toString(), out);
        } else if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            out.write('B');
            out.writeInt(b.length);
            out.write(b, 0, b.length);
        } else if (v instanceof CanonicalForm.Canonical) {
            write(((CanonicalForm.Canonical) v).canonicalValue(), out, depth + 1);
        } else if (v instanceof Map) {
            map((Map<?, ?>) v, out, depth);
        } else if (v instanceof Set) {
            Collection<?> c = (Collection<?>) v;
            List<byte[]> items = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                Buf b = new Buf(32);
                try {
                    write(o, b, depth + 1);
                } catch (Bad e) {
                    throw e.at("[" + i + "]");
                }
                i++;
                items.add(b.toByteArray());
            }
            items.sort(Arrays::compareUnsigned);
            out.write('E');
            out.writeInt(items.size());
            for (byte[] b : items) {
                out.write(b, 0, b.length);
            }
        } else if (v instanceof Collection) {
            Collection<?> c = (Collection<?>) v;
            out.write('L');
            out.writeInt(c.size());
            int i = 0;
            for (Object o : c) {
                try {
                    write(o, out, depth + 1);
                } catch (Bad e) {
                    throw e.at("[" + i + "]");
                }
                i++;
            }
        } else if (v.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(v);
            out.write('L');
            out.writeInt(n);
            for (int i = 0; i < n; i++) {
                try {
                    write(java.lang.reflect.Array.get(v, i), out, depth + 1);
                } catch (Bad e) {
                    throw e.at("[" + i + "]");
                }
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
                    throw new Bad("cannot read record component " + c.getName() + " of " + v.getClass().getName(),
                        ": " + e, e);
                }
            }
            map(m, out, depth);
        } else {
            throw new Bad("cannot build a canonical form of " + v.getClass().getName(), ": use maps, lists, strings, "
                + "numbers, booleans, byte[], records, or implement CanonicalForm.Canonical (toString() is not stable "
                + "enough for a content hash)", null);
        }
    }

    private static final class Item {
        final byte[] key;
        final Object value;
        final Object rawKey;

        Item(byte[] key, Object value, Object rawKey) {
            this.key = key;
            this.value = value;
            this.rawKey = rawKey;
        }
    }

    private static void map(Map<?, ?> m, Buf out, int depth) {
        Item[] items = new Item[m.size()];
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            Buf k = new Buf(16);
            try {
                write(e.getKey(), k, depth + 1);
            } catch (Bad b) {
                throw b.at(".<key>");
            }
            items[i++] = new Item(k.toByteArray(), e.getValue(), e.getKey());
        }
        // Sorted by the keys' canonical bytes: for string keys that is by UTF-8 length, then bytes.
        Arrays.sort(items, (a, b) -> Arrays.compareUnsigned(a.key, b.key));
        out.write('M');
        out.writeInt(items.length);
        for (int j = 0; j < items.length; j++) {
            if (j > 0 && Arrays.equals(items[j].key, items[j - 1].key)) {
                throw new Bad("map has two keys with the same canonical value (e.g. 1 and 1L)", "", null);
            }
            out.write(items[j].key, 0, items[j].key.length);
            try {
                write(items[j].value, out, depth + 1);
            } catch (Bad b) {
                throw b.at("." + items[j].rawKey);
            }
        }
    }

    private static void string(String s, Buf out) {
        out.write('S');
        int lenPos = out.size;
        out.writeInt(0);
        int start = out.size;
        out.writeUtf8(s);
        out.putInt(lenPos, out.size - start);
    }

    private static void integral(String digits, Buf out) {
        out.write('I');
        out.writeInt(digits.length());
        out.writeAscii(digits);
    }

    private static void floating(double d, String floatText, Buf out) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            String name = Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
            out.write('X');
            out.writeInt(name.length());
            out.writeAscii(name);
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
        out.writeAscii(text);
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

        void putInt(int pos, int v) {
            buf[pos] = (byte) (v >>> 24);
            buf[pos + 1] = (byte) (v >>> 16);
            buf[pos + 2] = (byte) (v >>> 8);
            buf[pos + 3] = (byte) v;
        }

        void writeAscii(String s) {
            ensure(s.length());
            for (int i = 0; i < s.length(); i++) {
                buf[size++] = (byte) s.charAt(i);
            }
        }

        /** UTF-8 without an intermediate array; unpaired surrogates become '?' like String.getBytes. */
        void writeUtf8(String s) {
            ensure(s.length() * 3);
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    buf[size++] = (byte) c;
                } else if (c < 0x800) {
                    buf[size++] = (byte) (0xC0 | (c >> 6));
                    buf[size++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    buf[size++] = (byte) (0xF0 | (cp >> 18));
                    buf[size++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    buf[size++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    buf[size++] = (byte) (0x80 | (cp & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    buf[size++] = '?';
                } else {
                    buf[size++] = (byte) (0xE0 | (c >> 12));
                    buf[size++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    buf[size++] = (byte) (0x80 | (c & 0x3F));
                }
            }
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
