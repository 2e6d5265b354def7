package io.resiliencekit.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class CanonicalFormTest {

    record Order(String id, long amountCents, List<String> tags) {
    }

    @Test
    void encodingIsPinned() {
        // Changing this encoding changes every stored fingerprint: it must be a deliberate, versioned decision.
        byte[] expected = {'M', 0, 0, 0, 1, 'S', 0, 0, 0, 1, 'a', 'I', 0, 0, 0, 1, '1'};
        assertThat(CanonicalForm.bytes(Map.of("a", 1))).isEqualTo(expected);
        assertThat(CanonicalForm.bytes(null)).isEqualTo(new byte[] {'N'});
        assertThat(CanonicalForm.bytes(List.of(true, false))).isEqualTo(new byte[] {'L', 0, 0, 0, 2, 'T', 'F'});
        assertThat(CanonicalForm.bytes(new BigDecimal("-1.50"))).isEqualTo(new byte[] {'D', 0, 0, 0, 4, '-', '1', '.', '5'});
    }

    @Test
    void mapKeyOrderDoesNotMatter() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("z", 1);
        a.put("a", List.of("x", Map.of("k2", 2, "k1", 1)));
        a.put("m", null);
        Map<String, Object> b = new TreeMap<>();
        b.put("m", null);
        b.put("a", List.of("x", new LinkedHashMap<>(Map.of("k1", 1, "k2", 2))));
        b.put("z", 1L);
        assertThat(CanonicalForm.bytes(a)).isEqualTo(CanonicalForm.bytes(b));
        assertThat(Fingerprints.of(a)).isEqualTo(Fingerprints.of(b)).hasSize(64);
    }

    @Test
    void numbersEncodeByValueNotType() {
        byte[] seven = CanonicalForm.bytes(7);
        assertThat(CanonicalForm.bytes(7L)).isEqualTo(seven);
        assertThat(CanonicalForm.bytes((short) 7)).isEqualTo(seven);
        assertThat(CanonicalForm.bytes(7.0d)).isEqualTo(seven);
        assertThat(CanonicalForm.bytes(new BigDecimal("7.000"))).isEqualTo(seven);
        assertThat(CanonicalForm.bytes(BigInteger.valueOf(7))).isEqualTo(seven);
        assertThat(CanonicalForm.bytes(0.1f)).isEqualTo(CanonicalForm.bytes(0.1d)).isEqualTo(CanonicalForm.bytes(new BigDecimal("0.10")));
        assertThat(CanonicalForm.bytes(-0.0d)).isEqualTo(CanonicalForm.bytes(0));
        assertThat(CanonicalForm.bytes(1e20)).isEqualTo(CanonicalForm.bytes(new BigInteger("100000000000000000000")));
        assertThat(CanonicalForm.bytes(Double.NaN)).isNotEqualTo(CanonicalForm.bytes(Double.POSITIVE_INFINITY));
        assertThat(CanonicalForm.bytes(0.1d)).isNotEqualTo(CanonicalForm.bytes(0.2d));
    }

    @Test
    void typesThatLookAlikeStayDistinct() {
        assertThat(CanonicalForm.bytes("1")).isNotEqualTo(CanonicalForm.bytes(1));
        assertThat(CanonicalForm.bytes("true")).isNotEqualTo(CanonicalForm.bytes(true));
        assertThat(CanonicalForm.bytes(null)).isNotEqualTo(CanonicalForm.bytes("null"));
        assertThat(CanonicalForm.bytes(List.of())).isNotEqualTo(CanonicalForm.bytes(Map.of()));
        // length prefixes: ["ab","c"] vs ["a","bc"]
        assertThat(CanonicalForm.bytes(List.of("ab", "c"))).isNotEqualTo(CanonicalForm.bytes(List.of("a", "bc")));
        assertThat(CanonicalForm.bytes(List.of(1, 2))).isNotEqualTo(CanonicalForm.bytes(List.of(2, 1)));
    }

    @Test
    void setsAreOrderFreeListsAndArraysAreNot() {
        Set<Object> s1 = new LinkedHashSet<>(List.of("b", "a", 3));
        Set<Object> s2 = new LinkedHashSet<>(List.of(3, "a", "b"));
        assertThat(CanonicalForm.bytes(s1)).isEqualTo(CanonicalForm.bytes(s2));
        assertThat(CanonicalForm.bytes(new int[] {1, 2})).isEqualTo(CanonicalForm.bytes(List.of(1, 2)));
        assertThat(CanonicalForm.bytes(new Object[] {"x", null})).isEqualTo(CanonicalForm.bytes(Arrays.asList("x", null)));
        assertThat(CanonicalForm.bytes(new byte[] {1, 2})).isNotEqualTo(CanonicalForm.bytes(List.of(1, 2)));
    }

    @Test
    void recordsEncodeAsMapsOfTheirComponents() {
        Order o = new Order("o-1", 990, List.of("new"));
        Map<String, Object> m = new HashMap<>();
        m.put("tags", List.of("new"));
        m.put("amountCents", 990);
        m.put("id", "o-1");
        assertThat(CanonicalForm.bytes(o)).isEqualTo(CanonicalForm.bytes(m));
        CanonicalForm.Canonical custom = () -> m;
        assertThat(CanonicalForm.bytes(custom)).isEqualTo(CanonicalForm.bytes(o));
    }

    @Test
    void rejectsWhatHasNoStableFormAndCycles() {
        assertThatThrownBy(() -> CanonicalForm.bytes(Map.of("when", new Object())))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("java.lang.Object")
            .hasMessageContaining("$.when")
            .hasMessageContaining("toString()");
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThatThrownBy(() -> CanonicalForm.bytes(cyclic)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("cycle");
        Map<Object, Object> clash = new HashMap<>();
        clash.put(1, "a");
        clash.put(1L, "b");
        assertThatThrownBy(() -> CanonicalForm.bytes(clash)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("same canonical value");
    }
}
