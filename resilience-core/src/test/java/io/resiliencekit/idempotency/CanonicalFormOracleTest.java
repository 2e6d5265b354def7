package io.resiliencekit.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Keys must not change when the encoder gets faster: a re-run after an upgrade must find what the
 * previous version completed. The streaming encoder writes byte for byte what the 0.1.0 encoder
 * ({@link CanonicalFormV1}) wrote, over 5,000 seeded random records (nested maps with string and
 * other keys, key objects reused across records as a schema does, lists, sets, arrays, records,
 * every number type, unicode with surrogate pairs and unpaired surrogates, byte arrays, nulls).
 */
class CanonicalFormOracleTest {

    enum Color { RED, GREEN }

    record Line(String sku, int qty, BigDecimal price) {
    }

    private static final String[] SCHEMA = {"id", "amount", "currency", "customer", "lines", "tags", "note", "x", "é",
        "\uD83D\uDE00k", "zz", "a\uE000"};

    @Test
    void streamingEncoderWritesExactlyTheBytesOfTheFirstVersion() {
        SplittableRandom random = new SplittableRandom(20261121L);
        IdempotencyKeys keys = IdempotencyKeys.namespace("oracle");
        for (int i = 0; i < 5_000; i++) {
            Object record = value(random, 0);
            byte[] expected = CanonicalFormV1.bytes(record);
            assertThat(CanonicalForm.bytes(record)).as("record %d", i).isEqualTo(expected);
            String hex = Fingerprints.hex(Fingerprints.sha256(expected));
            assertThat(Fingerprints.of(record)).isEqualTo(hex);
            assertThat(Fingerprints.of(record)).as("again: its maps' key orders now come from the shape cache").isEqualTo(hex);
            assertThat(keys.forContent("run-7", record)).isEqualTo("oracle:run-7:sha256:" + hex);
            assertThat(keys.forContent("run-7", "p3", record)).isEqualTo("oracle:run-7:p3:" + hex);
        }
    }

    @Test
    void rawBytesHashAsTheyAre() {
        byte[] raw = new byte[5000];
        new SplittableRandom(7).nextBytes(raw);
        String hex = Fingerprints.hex(Fingerprints.sha256(raw));
        assertThat(Fingerprints.sha256Hex(raw)).isEqualTo(hex);
        assertThat(IdempotencyKeys.namespace("n").forBytes("r1", raw)).isEqualTo("n:r1:sha256:" + hex);
        assertThat(IdempotencyKeys.namespace("n").forBytes("r1", "p0", raw)).isEqualTo("n:r1:p0:" + hex);
    }

    @Test
    void rejectsWhatTheFirstVersionRejected() {
        Object bad = Map.of("a", List.of(1, new Object()));
        assertThatThrownBy(() -> CanonicalFormV1.bytes(bad)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fingerprints.of(bad)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("java.lang.Object").hasMessageContaining("$.a[1]");
        Map<Object, Object> clash = new HashMap<>();
        clash.put(1, "int");
        clash.put(1L, "long");
        assertThatThrownBy(() -> CanonicalForm.bytes(clash)).hasMessageContaining("same canonical value");
        // the thread's encoder is clean after a failure
        assertThat(Fingerprints.of(Map.of("a", 1))).isEqualTo(Fingerprints.hex(Fingerprints.sha256(CanonicalFormV1.bytes(Map.of("a", 1)))));
    }

    private static Object value(SplittableRandom r, int depth) {
        int kind = r.nextInt(depth > 3 ? 14 : 20);
        switch (kind) {
            case 0: return null;
            case 1: return r.nextBoolean();
            case 2: return r.nextInt();
            case 3: return r.nextLong(-1_000_000_000_000L, 1_000_000_000_000L);
            case 4: return (short) r.nextInt(-300, 300);
            case 5: return r.nextDouble(-1e6, 1e6);
            case 6: return (float) r.nextDouble(-100, 100);
            case 7: return new BigDecimal(BigInteger.valueOf(r.nextLong(-10_000_000, 10_000_000)), r.nextInt(-3, 12));
            case 8: return string(r);
            case 9: return r.nextInt(4) == 0 ? Long.MIN_VALUE : (double) r.nextInt(1000);
            case 10: return new BigInteger(80, new java.util.Random(r.nextLong()));
            case 11: return r.nextBoolean() ? Color.RED : Instant.ofEpochMilli(r.nextLong(0, 4_000_000_000_000L));
            case 12: {
                byte[] b = new byte[r.nextInt(0, 40)];
                r.nextBytes(b);
                return b;
            }
            case 13: return new Line(string(r), r.nextInt(100), BigDecimal.valueOf(r.nextLong(0, 100_000), 2));
            case 14: case 15: case 16: {
                Map<Object, Object> m = r.nextInt(3) == 0 ? new TreeMap<>() : new LinkedHashMap<>();
                int n = r.nextInt(0, 12);
                for (int i = 0; i < n; i++) {
                    Object k = m instanceof TreeMap || r.nextInt(8) != 0 ? SCHEMA[r.nextInt(SCHEMA.length)]
                        : (Object) r.nextInt(5);
                    if (!(m instanceof TreeMap) && r.nextInt(6) == 0) {
                        k = string(r); // a key no other record has
                    }
                    m.put(k, value(r, depth + 1));
                }
                return m;
            }
            case 17: {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(0, 6); i > 0; i--) {
                    l.add(value(r, depth + 1));
                }
                return r.nextBoolean() ? l : l.toArray();
            }
            case 18: {
                LinkedHashSet<Object> s = new LinkedHashSet<>();
                for (int i = r.nextInt(0, 5); i > 0; i--) {
                    s.add(r.nextBoolean() ? string(r) : r.nextInt(50));
                }
                return s;
            }
            default: return new int[] {r.nextInt(), r.nextInt(10)};
        }
    }

    private static String string(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        for (int i = r.nextInt(0, 12); i > 0; i--) {
            int k = r.nextInt(10);
            if (k < 6) {
                sb.append((char) r.nextInt('a', 'z' + 1));
            } else if (k == 6) {
                sb.append((char) r.nextInt(0x80, 0x800));
            } else if (k == 7) {
                sb.append((char) r.nextInt(0x800, 0xD800));
            } else if (k == 8) {
                sb.appendCodePoint(r.nextInt(0x10000, 0x10FFFF));
            } else {
                sb.append(r.nextBoolean() ? (char) 0xD800 : (char) r.nextInt(0xE000, 0xFFFF)); // unpaired surrogate, or high BMP
            }
        }
        return sb.toString();
    }
}
