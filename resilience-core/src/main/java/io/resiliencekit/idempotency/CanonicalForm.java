package io.resiliencekit.idempotency;

import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
 *
 * <p>Hashing streams this encoding straight into SHA-256 through a per-thread buffer: no
 * intermediate strings, no buffer per field. Maps whose keys are all strings are sorted without
 * encoding their keys first, and a map with the same key objects in the same order as one just
 * encoded on this thread (records of one schema) reuses that order without sorting again.
 */
public final class CanonicalForm {

    /** Implemented by types that describe themselves as a canonical value (map, list, primitives). */
    @FunctionalInterface
    public interface Canonical {
        Object canonicalValue();
    }

    private static final int MAX_DEPTH = 64;
    private static final byte[] HEX = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

    // One hashing encoder per thread (MessageDigest is not thread-safe; getInstance is a provider lookup).
    private static final ThreadLocal<Encoder> HASHING = ThreadLocal.withInitial(() -> new Encoder(sha256()));

    private static final int K_STRING = 0;
    private static final int K_INTEGRAL = 1;
    private static final int K_BOOLEAN = 2;
    private static final int K_DECIMAL = 3;
    private static final int K_FLOATING = 4;
    private static final int K_BYTES = 5;
    private static final int K_BIG_INTEGER = 6;
    private static final int K_TEXT = 7;
    private static final int K_CANONICAL = 8;
    private static final int K_MAP = 9;
    private static final int K_SET = 10;
    private static final int K_LIST = 11;
    private static final int K_COLLECTION = 12;
    private static final int K_OBJECTS = 13;
    private static final int K_ARRAY = 14;
    private static final int K_RECORD = 15;
    private static final int K_UNSUPPORTED = 16;

    // How each class is encoded, decided once per class in the order the encoding defines (a class that is
    // both a Map and Canonical is Canonical): a chain of failing interface checks per value costs more than the value.
    private static final ClassValue<Integer> KINDS = new ClassValue<>() {
        @Override
        protected Integer computeValue(Class<?> t) {
            return kindOf(t);
        }
    };

    private static int kindOf(Class<?> t) {
        if (t == String.class) {
            return K_STRING;
        }
        if (t == Boolean.class) {
            return K_BOOLEAN;
        }
        if (t == Integer.class || t == Long.class || t == Short.class || t == Byte.class) {
            return K_INTEGRAL;
        }
        if (t == Double.class || t == Float.class) {
            return K_FLOATING;
        }
        if (BigInteger.class.isAssignableFrom(t)) {
            return K_BIG_INTEGER;
        }
        if (BigDecimal.class.isAssignableFrom(t)) {
            return K_DECIMAL;
        }
        if (t == java.util.concurrent.atomic.AtomicInteger.class || t == java.util.concurrent.atomic.AtomicLong.class) {
            return K_INTEGRAL;
        }
        if (t == Character.class || Enum.class.isAssignableFrom(t) || t == UUID.class || t == Instant.class
            || t == LocalDate.class || t == LocalDateTime.class || t == OffsetDateTime.class) {
            return K_TEXT;
        }
        if (t == byte[].class) {
            return K_BYTES;
        }
        if (Canonical.class.isAssignableFrom(t)) {
            return K_CANONICAL;
        }
        if (Map.class.isAssignableFrom(t)) {
            return K_MAP;
        }
        if (Set.class.isAssignableFrom(t)) {
            return K_SET;
        }
        if (List.class.isAssignableFrom(t) && java.util.RandomAccess.class.isAssignableFrom(t)) {
            return K_LIST;
        }
        if (Collection.class.isAssignableFrom(t)) {
            return K_COLLECTION;
        }
        if (Object[].class.isAssignableFrom(t)) {
            return K_OBJECTS;
        }
        if (t.isArray()) {
            return K_ARRAY;
        }
        return t.isRecord() ? K_RECORD : K_UNSUPPORTED;
    }

    // Record components in canonical order, per record class: derived from the class, the same for every thread.
    private static final ClassValue<RecordShape> RECORDS = new ClassValue<>() {
        @Override
        protected RecordShape computeValue(Class<?> type) {
            return new RecordShape(type);
        }
    };

    private CanonicalForm() {
    }

    /** The canonical bytes of {@code value}. */
    public static byte[] bytes(Object value) {
        Encoder e = new Encoder(null);
        e.encode(value);
        return e.toByteArray();
    }

    /** Appends the canonical bytes of {@code value} to {@code out}. */
    public static void writeTo(Object value, ByteArrayOutputStream out) {
        byte[] b = bytes(value);
        out.write(b, 0, b.length);
    }

    /**
     * {@code prefix} followed by the lower-case hex SHA-256 of {@code value}'s canonical bytes (or of
     * {@code raw} bytes as they are, when {@code raw} is not null), as one string built once: the
     * encoding streams into the digest and the text goes straight into the string.
     */
    static String sha256Text(byte[] prefix, Object value, byte[] raw) {
        Encoder e = HASHING.get();
        if (e.busy) {
            e = new Encoder(sha256()); // a Canonical whose canonicalValue() hashes something itself
        }
        e.busy = true;
        try {
            if (raw != null) {
                e.md.update(raw);
            } else {
                e.encode(value);
            }
            return e.finishText(prefix); // digest() leaves the digest reset for the next key
        } catch (RuntimeException | Error failed) {
            e.md.reset();
            throw failed;
        } finally {
            e.n = 0;
            e.busy = false;
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
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

    /** A record class's components sorted as their names' canonical bytes sort. */
    private static final class RecordShape {
        final String[] names;
        final MethodHandle[] accessors;
        final String problem;
        final Throwable problemCause;

        RecordShape(Class<?> type) {
            RecordComponent[] rc = type.getRecordComponents();
            String[] n = new String[rc.length];
            MethodHandle[] a = new MethodHandle[rc.length];
            String p = null;
            Throwable cause = null;
            Integer[] order = new Integer[rc.length];
            for (int i = 0; i < rc.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (x, y) -> compareStrings(rc[x].getName(), rc[y].getName()));
            for (int i = 0; i < rc.length; i++) {
                RecordComponent c = rc[order[i]];
                n[i] = c.getName();
                try {
                    var acc = c.getAccessor();
                    acc.setAccessible(true);
                    a[i] = MethodHandles.lookup().unreflect(acc).asType(MethodType.methodType(Object.class, Object.class));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    p = "cannot read record component " + c.getName() + " of " + type.getName();
                    cause = e;
                }
            }
            this.names = n;
            this.accessors = a;
            this.problem = p;
            this.problemCause = cause;
        }
    }

    /** Canonical order of two strings' encodings: by UTF-8 length, then by code point (= UTF-8 byte order). */
    static int compareStrings(String a, String b) {
        return compareStrings(a, b, utf8Info(a), utf8Info(b));
    }

    private static int compareStrings(String a, String b, int ia, int ib) {
        int la = lengthOf(ia);
        int lb = lengthOf(ib);
        if (la != lb) {
            return Integer.compare(la, lb);
        }
        if ((ia >= 0 && ib >= 0) || (!hasSurrogate(a) && !hasSurrogate(b))) {
            return a.compareTo(b); // no surrogates: UTF-16 order is code point order
        }
        return Arrays.compareUnsigned(bytes(a), bytes(b));
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The length of {@link Encoder#utf8}'s output for {@code s} (unpaired surrogates become one '?'),
     * negated minus one when {@code s} is not all ASCII: see {@link #lengthOf}.
     */
    static int utf8Info(String s) {
        int n = s.length();
        int len = n;
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                ascii = false;
                if (c < 0x800) {
                    len += 1;
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    len += 2; // two chars, four bytes
                    i++;
                } else if (!Character.isSurrogate(c)) {
                    len += 2;
                }
            }
        }
        return ascii ? len : -len - 1;
    }

    /** The byte length in what {@link #utf8Info} returned. */
    static int lengthOf(int utf8) {
        return utf8 >= 0 ? utf8 : -utf8 - 1;
    }

    /**
     * Writes the encoding into a buffer that either grows ({@link #bytes}) or, when it is full, is
     * handed to a digest ({@link #sha256}). Not thread-safe.
     */
    static final class Encoder {
        private final MessageDigest md;
        private final byte[] digest = new byte[32];
        private byte[] text = new byte[128];
        private char[] chars = new char[64];
        private byte[] buf;
        private int n;
        boolean busy;
        // the last few key orders, to skip sorting maps of the same shape
        private final Object[][] shapeKeys = new Object[8][];
        private final int[][] shapeOrder = new int[8][];
        private final byte[][][] shapeBytes = new byte[8][][]; // each key's encoding, in canonical order
        private int shapeNext;
        // the last two JDK classes looked up and their kinds: a record's values are of few classes (List12,
        // BigDecimal, HashMap...), and ClassValue.get costs more than encoding a small value
        private Class<?> type0;
        private Class<?> type1;
        private int kind0;
        private int kind1;

        Encoder(MessageDigest md) {
            this.md = md;
            this.buf = new byte[md == null ? 256 : 2048];
        }

        void encode(Object value) {
            try {
                value(value, 0);
            } catch (Bad e) {
                throw new IllegalArgumentException(e.describe(), e.getCause());
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, n);
        }

        String finishText(byte[] prefix) {
            md.update(buf, 0, n);
            n = 0;
            try {
                md.digest(digest, 0, 32);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
            int len = prefix.length + 64;
            if (text.length < len) {
                text = new byte[Math.max(len, text.length * 2)];
            }
            System.arraycopy(prefix, 0, text, 0, prefix.length);
            for (int i = 0, p = prefix.length; i < 32; i++) {
                text[p++] = HEX[(digest[i] >> 4) & 0xF];
                text[p++] = HEX[digest[i] & 0xF];
            }
            return new String(text, 0, len, java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        // ------------------------------------------------------------------ bytes

        private void room(int k) {
            if (n + k <= buf.length) {
                return;
            }
            if (md != null && n > 0) {
                md.update(buf, 0, n);
                n = 0;
                if (k <= buf.length) {
                    return;
                }
            }
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + k));
        }

        private void put(int b) {
            if (n == buf.length) {
                room(1);
            }
            buf[n++] = (byte) b;
        }

        private void putInt(int v) {
            room(4);
            buf[n] = (byte) (v >>> 24);
            buf[n + 1] = (byte) (v >>> 16);
            buf[n + 2] = (byte) (v >>> 8);
            buf[n + 3] = (byte) v;
            n += 4;
        }

        private void putBytes(byte[] b, int off, int len) {
            if (md != null && len >= buf.length / 2) {
                md.update(buf, 0, n);
                n = 0;
                md.update(b, off, len);
                return;
            }
            room(len);
            System.arraycopy(b, off, buf, n, len);
            n += len;
        }

        private void ascii(String s) {
            int len = s.length();
            room(len);
            for (int i = 0; i < len; i++) {
                buf[n++] = (byte) s.charAt(i);
            }
        }

        /** UTF-8 without an intermediate array; unpaired surrogates become '?' like String.getBytes. */
        private void utf8(String s, int info) {
            if (info >= 0) {
                ascii(s);
                return;
            }
            int len = s.length();
            for (int i = 0; i < len; i++) {
                if (n + 4 > buf.length) {
                    room(4);
                }
                char c = s.charAt(i);
                if (c < 0x80) {
                    buf[n++] = (byte) c;
                } else if (c < 0x800) {
                    buf[n++] = (byte) (0xC0 | (c >> 6));
                    buf[n++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    buf[n++] = (byte) (0xF0 | (cp >> 18));
                    buf[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    buf[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    buf[n++] = (byte) (0x80 | (cp & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    buf[n++] = '?';
                } else {
                    buf[n++] = (byte) (0xE0 | (c >> 12));
                    buf[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    buf[n++] = (byte) (0x80 | (c & 0x3F));
                }
            }
        }

        // ------------------------------------------------------------------ values

        // Hot paths are small methods the JIT inlines (strings, small integers); the rest lives in their slow twins.
        private void value(Object v, int depth) {
            Class<?> type = v == null ? null : v.getClass();
            if (type == String.class) {
                string((String) v);
            } else if (type == Integer.class) {
                integral((Integer) v);
            } else if (type == Long.class) {
                integral((Long) v);
            } else {
                valueOf(v, type, depth);
            }
        }

        private void valueOf(Object v, Class<?> type, int depth) {
            if (depth > MAX_DEPTH) {
                throw new Bad("record nested deeper than " + MAX_DEPTH + " levels", " (does it contain a cycle?)", null);
            }
            if (v == null) {
                put('N');
                return;
            }
            switch (kind(type)) {
                case K_STRING:
                    string((String) v);
                    return;
                case K_INTEGRAL:
                    integral(((Number) v).longValue());
                    return;
                case K_BOOLEAN:
                    put((Boolean) v ? 'T' : 'F');
                    return;
                case K_DECIMAL:
                    decimal((BigDecimal) v);
                    return;
                case K_FLOATING:
                    floating(((Number) v).doubleValue(), v instanceof Float ? Float.toString((Float) v) : null);
                    return;
                case K_BYTES: {
                    byte[] b = (byte[]) v;
                    put('B');
                    putInt(b.length);
                    putBytes(b, 0, b.length);
                    return;
                }
                case K_BIG_INTEGER:
                    integralText(v.toString());
                    return;
                case K_TEXT:
                    string(v instanceof Enum ? ((Enum<?>) v).name() : v.toString());
                    return;
                case K_CANONICAL:
                    value(((Canonical) v).canonicalValue(), depth + 1);
                    return;
                case K_MAP:
                    map((Map<?, ?>) v, depth);
                    return;
                case K_SET:
                    set((Set<?>) v, depth);
                    return;
                case K_LIST: {
                    List<?> l = (List<?>) v;
                    int size = l.size();
                    put('L');
                    putInt(size);
                    for (int i = 0; i < size; i++) {
                        item(l.get(i), depth, i);
                    }
                    return;
                }
                case K_COLLECTION: {
                    Collection<?> c = (Collection<?>) v;
                    put('L');
                    putInt(c.size());
                    int i = 0;
                    for (Object o : c) {
                        item(o, depth, i++);
                    }
                    return;
                }
                case K_OBJECTS: {
                    Object[] arr = (Object[]) v;
                    put('L');
                    putInt(arr.length);
                    for (int i = 0; i < arr.length; i++) {
                        item(arr[i], depth, i);
                    }
                    return;
                }
                case K_ARRAY: {
                    int len = java.lang.reflect.Array.getLength(v);
                    put('L');
                    putInt(len);
                    for (int i = 0; i < len; i++) {
                        item(java.lang.reflect.Array.get(v, i), depth, i);
                    }
                    return;
                }
                case K_RECORD:
                    record(v, depth);
                    return;
                default:
                    throw new Bad("cannot build a canonical form of " + type.getName(), ": use maps, lists, strings, "
                        + "numbers, booleans, byte[], records, or implement CanonicalForm.Canonical (toString() is not "
                        + "stable enough for a content hash)", null);
            }
        }

        private int kind(Class<?> type) {
            if (type == type0) {
                return kind0;
            }
            if (type == type1) {
                return kind1;
            }
            int k = KINDS.get(type);
            if (type.getClassLoader() != null) {
                return k; // only the platform's own classes are kept: a thread's encoder must not pin an application's loader
            }
            type1 = type0;
            kind1 = kind0;
            type0 = type;
            kind0 = k;
            return k;
        }

        private void item(Object o, int depth, int index) {
            try {
                value(o, depth + 1);
            } catch (Bad e) {
                throw e.at("[" + index + "]");
            }
        }

        /** {@code S} + length + bytes of an ASCII string that fits the buffer as it is; any other goes to {@link #stringSlow}. */
        private void string(String s) {
            int len = s.length();
            int start = n + 5;
            byte[] b = buf;
            if (len > 64 || start + len > b.length) {
                stringSlow(s);
                return;
            }
            for (int i = 0; i < len; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    stringSlow(s); // starts over from n: what was copied so far is overwritten
                    return;
                }
                b[start + i] = (byte) c;
            }
            b[n] = 'S';
            b[n + 1] = 0;
            b[n + 2] = 0;
            b[n + 3] = (byte) (len >>> 8);
            b[n + 4] = (byte) len;
            n = start + len;
        }

        /** {@code S} + length + UTF-8, in one pass whenever the buffer can take the longest encoding of {@code s}. */
        private void stringSlow(String s) {
            int len = s.length();
            int worst = 5 + 3 * len;
            if (md != null && worst > buf.length) {
                int info = utf8Info(s); // longer than the digest's buffer: length first, then stream it
                put('S');
                putInt(lengthOf(info));
                utf8(s, info);
                return;
            }
            room(worst);
            byte[] b = buf;
            int start = n + 5;
            int i = 0;
            char[] cs = chars;
            if (cs.length < len) {
                cs = chars = new char[Math.max(len, cs.length * 2)];
            }
            s.getChars(0, len, cs, 0); // one bulk copy; the loop then runs over an array, not the string
            for (; i < len; i++) {
                char c = cs[i];
                if (c >= 0x80) {
                    break;
                }
                b[start + i] = (byte) c;
            }
            int p = start + i;
            if (i < len) {
                p = utf8Tail(s, i, p);
            }
            int bytes = p - start;
            b[n] = 'S';
            b[n + 1] = (byte) (bytes >>> 24);
            b[n + 2] = (byte) (bytes >>> 16);
            b[n + 3] = (byte) (bytes >>> 8);
            b[n + 4] = (byte) bytes;
            n = p;
        }

        /** UTF-8 of {@code s} from char {@code i} on, into the buffer at {@code p}, which has room for it; the new end. */
        private int utf8Tail(String s, int i, int p) {
            byte[] b = buf;
            int len = s.length();
            for (; i < len; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    b[p++] = (byte) c;
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    b[p++] = (byte) (0xF0 | (cp >> 18));
                    b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (cp & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    b[p++] = '?';
                } else {
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return p;
        }

        /** {@code I} + decimal digits; values of up to 9 digits that fit the buffer take this short path. */
        private void integral(long v) {
            if (v < 0 || v >= 1_000_000_000L || n + 14 > buf.length) {
                integralSlow(v);
                return;
            }
            int x = (int) v;
            int digits = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10_000 ? 4 : x < 100_000 ? 5 : x < 1_000_000 ? 6
                : x < 10_000_000 ? 7 : x < 100_000_000 ? 8 : 9;
            byte[] b = buf;
            b[n] = 'I';
            b[n + 1] = 0;
            b[n + 2] = 0;
            b[n + 3] = 0;
            b[n + 4] = (byte) digits;
            int end = n + 5 + digits;
            for (int i = end - 1; i >= n + 5; i--) {
                b[i] = (byte) ('0' + x % 10);
                x /= 10;
            }
            n = end;
        }

        private void integralSlow(long v) {
            if (v == Long.MIN_VALUE) {
                integralText(Long.toString(v));
                return;
            }
            long abs = Math.abs(v);
            int digits = 1;
            for (long t = abs; t >= 10; t /= 10) {
                digits++;
            }
            int len = digits + (v < 0 ? 1 : 0);
            room(5 + len);
            byte[] b = buf;
            b[n] = 'I';
            b[n + 1] = 0;
            b[n + 2] = 0;
            b[n + 3] = 0;
            b[n + 4] = (byte) len;
            int end = n + 5 + len;
            for (int i = end - 1; i >= end - digits; i--) {
                b[i] = (byte) ('0' + (abs % 10));
                abs /= 10;
            }
            if (v < 0) {
                b[n + 5] = '-';
            }
            n = end;
        }

        private void integralText(String digits) {
            put('I');
            putInt(digits.length());
            ascii(digits);
        }

        private void floating(double d, String floatText) {
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                String name = Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
                put('X');
                putInt(name.length());
                ascii(name);
                return;
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                integral((long) d); // also folds -0.0 into 0
                return;
            }
            // Shortest decimal that round-trips (Float.toString for floats, so 0.1f is 0.1, not 0.100000001...).
            decimal(new BigDecimal(floatText != null ? floatText : Double.toString(d)));
        }

        private void decimal(BigDecimal bd) {
            int scale = bd.scale();
            if (scale > 0 && scale < 19 && bd.precision() < 19) {
                // common case (money, measurements): the unscaled value fits a long; strip zeros by arithmetic
                long u = bd.unscaledValue().longValue();
                while (scale > 0 && u % 10 == 0) {
                    u /= 10;
                    scale--;
                }
                if (scale == 0) {
                    integral(u);
                } else {
                    plainDecimal(u, scale);
                }
                return;
            }
            BigDecimal s = bd.signum() == 0 ? BigDecimal.ZERO : bd.stripTrailingZeros();
            if (s.scale() <= 0) {
                integralText(s.toBigIntegerExact().toString());
                return;
            }
            String text = s.toPlainString();
            put('D');
            putInt(text.length());
            ascii(text);
        }

        /** {@code D} + the plain text of {@code u * 10^-scale} (scale > 0, no trailing zero), as toPlainString writes it. */
        private void plainDecimal(long u, int scale) {
            long abs = Math.abs(u);
            int digits = 1;
            for (long t = abs; t >= 10; t /= 10) {
                digits++;
            }
            int intDigits = Math.max(1, digits - scale);
            int len = (u < 0 ? 1 : 0) + intDigits + 1 + scale;
            put('D');
            putInt(len);
            room(len);
            int end = n + len;
            int pos = end - 1;
            for (int i = 0; i < scale; i++) {
                buf[pos--] = (byte) ('0' + (abs % 10));
                abs /= 10;
            }
            buf[pos--] = '.';
            for (int i = 0; i < intDigits; i++) {
                buf[pos--] = (byte) ('0' + (abs % 10));
                abs /= 10;
            }
            if (u < 0) {
                buf[pos] = '-';
            }
            n = end;
        }

        private void record(Object v, int depth) {
            RecordShape shape = RECORDS.get(v.getClass());
            if (shape.problem != null) {
                throw new Bad(shape.problem, ": " + shape.problemCause, shape.problemCause);
            }
            put('M');
            putInt(shape.names.length);
            for (int i = 0; i < shape.names.length; i++) {
                string(shape.names[i]);
                Object component;
                try {
                    component = (Object) shape.accessors[i].invokeExact(v);
                } catch (Throwable e) {
                    throw new Bad("cannot read record component " + shape.names[i] + " of " + v.getClass().getName(),
                        ": " + e, e);
                }
                try {
                    value(component, depth + 1);
                } catch (Bad b) {
                    throw b.at("." + shape.names[i]);
                }
            }
        }

        /**
         * A map: its entries are read once into fresh arrays (young objects: cheap stores for the collector, and
         * nothing of the record stays reachable from this thread's encoder), then written in canonical order.
         * A map whose keys are the very key objects, in the same order, of a map encoded recently on this
         * thread (records of one schema) reuses that order and never copies or compares its keys.
         */
        private void map(Map<?, ?> m, int depth) {
            int size = m.size();
            if (size == 0) {
                put('M');
                putInt(0);
                return;
            }
            Object[] vs = new Object[size];
            Object[] ks = null;
            Object[] shape = null;
            int shapeIndex = -1;
            boolean strings = true;
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (i == size) {
                    break; // grew while we read it: encode what the count says
                }
                Object k = e.getKey();
                vs[i] = e.getValue();
                if (i == 0) {
                    shapeIndex = shapeStartingWith(k, size);
                    shape = shapeIndex < 0 ? null : shapeKeys[shapeIndex];
                }
                if (shape != null && shape[i] != k) {
                    ks = Arrays.copyOf(shape, size); // another shape after all: keep the keys from here on
                    shape = null;
                }
                if (shape == null) {
                    if (ks == null) {
                        ks = new Object[size];
                    }
                    ks[i] = k;
                    if (!(k instanceof String)) {
                        strings = false;
                    }
                }
                i++;
            }
            if (shape != null && i == size) {
                writeKnownEntries(shape, shapeBytes[shapeIndex], vs, shapeOrder[shapeIndex], size, depth);
            } else if (strings && i == size) {
                writeEntries(ks, vs, sortStrings(ks, size), size, depth);
            } else {
                otherMap(ks != null ? ks : Arrays.copyOf(shape, size), vs, i, depth);
            }
        }

        /** The shape cache's entry for a map of {@code size} keys whose first key is {@code first}, or -1. */
        private int shapeStartingWith(Object first, int size) {
            for (int s = 0; s < shapeKeys.length; s++) {
                Object[] known = shapeKeys[s];
                if (known != null && known.length == size && size > 0 && known[0] == first) {
                    return s;
                }
            }
            return -1;
        }

        /** The canonical order of string keys (sorted by their encodings, no two alike), remembered as a shape. */
        private int[] sortStrings(Object[] ks, int size) {
            int[] lens = new int[size];
            int[] order = new int[size];
            for (int i = 0; i < size; i++) {
                lens[i] = utf8Info((String) ks[i]);
                order[i] = i;
            }
            // insertion sort: maps are small, and a shape seen before skips this
            for (int i = 1; i < size; i++) {
                int x = order[i];
                int j = i - 1;
                while (j >= 0 && compareKeys(ks, lens, order[j], x) > 0) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = x;
            }
            for (int i = 1; i < size; i++) {
                if (compareKeys(ks, lens, order[i - 1], order[i]) == 0) {
                    throw new Bad("map has two keys with the same canonical value (e.g. 1 and 1L)", "", null);
                }
            }
            if (size <= 256) {
                int s = shapeNext;
                shapeNext = (s + 1) & (shapeKeys.length - 1);
                shapeKeys[s] = ks.length == size ? ks : Arrays.copyOf(ks, size); // keys only: a schema's are long-lived
                shapeOrder[s] = order;
                byte[][] encoded = new byte[size][];
                for (int i = 0; i < size; i++) {
                    Encoder e = new Encoder(null);
                    e.string((String) ks[order[i]]);
                    encoded[i] = e.toByteArray();
                }
                shapeBytes[s] = encoded;
            }
            return order;
        }

        /** A map of a known shape: its keys' encodings are copied, not encoded again. */
        private void writeKnownEntries(Object[] ks, byte[][] keyBytes, Object[] vs, int[] order, int size, int depth) {
            put('M');
            putInt(size);
            for (int i = 0; i < size; i++) {
                byte[] k = keyBytes[i];
                putBytes(k, 0, k.length);
                int x = order[i];
                try {
                    value(vs[x], depth + 1);
                } catch (Bad b) {
                    throw b.at("." + ks[x]);
                }
            }
        }

        private void writeEntries(Object[] ks, Object[] vs, int[] order, int size, int depth) {
            put('M');
            putInt(size);
            for (int i = 0; i < size; i++) {
                int x = order[i];
                String k = (String) ks[x];
                string(k);
                try {
                    value(vs[x], depth + 1);
                } catch (Bad b) {
                    throw b.at("." + k);
                }
            }
        }

        private static int compareKeys(Object[] ks, int[] lens, int a, int b) {
            return compareStrings((String) ks[a], (String) ks[b], lens[a], lens[b]);
        }

        /** Keys of other types: each key's canonical bytes, sorted (the encoding defines the order). */
        private void otherMap(Object[] ks, Object[] vs, int size, int depth) {
            byte[][] kb = new byte[size][];
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                Encoder sub = new Encoder(null);
                try {
                    sub.value(ks[i], depth + 1);
                } catch (Bad b) {
                    throw b.at(".<key>");
                }
                kb[i] = sub.toByteArray();
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(kb[a], kb[b]));
            put('M');
            putInt(size);
            for (int j = 0; j < size; j++) {
                int x = order[j];
                if (j > 0 && Arrays.equals(kb[x], kb[order[j - 1]])) {
                    throw new Bad("map has two keys with the same canonical value (e.g. 1 and 1L)", "", null);
                }
                putBytes(kb[x], 0, kb[x].length);
                try {
                    value(vs[x], depth + 1);
                } catch (Bad b) {
                    throw b.at("." + ks[x]);
                }
            }
        }

        private void set(Set<?> c, int depth) {
            List<byte[]> items = new ArrayList<>(c.size());
            int i = 0;
            for (Object o : c) {
                Encoder sub = new Encoder(null);
                try {
                    sub.value(o, depth + 1);
                } catch (Bad e) {
                    throw e.at("[" + i + "]");
                }
                i++;
                items.add(sub.toByteArray());
            }
            items.sort(Arrays::compareUnsigned);
            put('E');
            putInt(items.size());
            for (byte[] b : items) {
                putBytes(b, 0, b.length);
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
