package io.resiliencekit.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class IdempotencyKeysTest {

    private final IdempotencyKeys keys = IdempotencyKeys.namespace("payments");

    @Test
    void businessKeysAreNamespaceRunAndKey() {
        assertThat(keys.forBusinessKey("batch-42", "ord-1")).isEqualTo("payments:batch-42:ord-1");
        assertThat(keys.forBusinessKey("2026-01-31", 77)).isEqualTo("payments:2026-01-31:77");
        assertThat(keys.forBusinessKey("2026-01-31T10:00", "a")).isEqualTo("payments:2026-01-31T10:00:a");
    }

    @Test
    void contentKeysAreStableAcrossMapImplementations() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("id", 7);
        a.put("amount", "9.90");
        Map<String, Object> b = new TreeMap<>(Map.of("amount", "9.90", "id", 7L));
        String k = keys.forContent("batch-42", a);
        assertThat(k).isEqualTo(keys.forContent("batch-42", b)).startsWith("payments:batch-42:sha256:").hasSize(25 + 64);
        assertThat(keys.forContent("batch-43", a)).isNotEqualTo(k);
        assertThat(keys.forContent("batch-42", Map.of("id", 8, "amount", "9.90"))).isNotEqualTo(k);
        assertThat(IdempotencyKeys.validate(k)).isEqualTo(k);
    }

    /** The key check is a bit set, not the documented pattern: every char must get the pattern's answer. */
    @Test
    void acceptsExactlyTheDocumentedCharacters() {
        java.util.regex.Pattern documented = java.util.regex.Pattern.compile("[A-Za-z0-9._\\-:/@+=~]+");
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            String key = "k" + c + "y";
            boolean accepted;
            try {
                IdempotencyKeys.validate(key);
                accepted = true;
            } catch (IllegalArgumentException e) {
                accepted = false;
            }
            assertThat(accepted).as("char U+%04X", (int) c).isEqualTo(documented.matcher(key).matches());
        }
    }

    @Test
    void rejectsRunIdsThatBreakDeterminism() {
        assertThatThrownBy(() -> keys.forBusinessKey(" ", "x")).hasMessageContaining("blank");
        assertThatThrownBy(() -> keys.forBusinessKey("stage3-attempt1", "x")).hasMessageContaining("attempt");
        assertThatThrownBy(() -> keys.forBusinessKey(Long.toString(1_767_225_600_123L), "x")).hasMessageContaining("wall clock");
        assertThatThrownBy(() -> keys.forBusinessKey("run-" + 123456789012345L, "x")).hasMessageContaining("wall clock");
        assertThatThrownBy(() -> keys.forBusinessKey("2026-01-31T10:15:30.123Z", "x")).hasMessageContaining("wall clock");
        assertThatThrownBy(() -> keys.forBusinessKey("run 1", "x")).hasMessageContaining("run id 'run 1'");
    }

    @Test
    void rejectsBadKeysWithClearMessages() {
        assertThatThrownBy(() -> keys.forBusinessKey("b1", "has space")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("business key 'has space'").hasMessageContaining("forContent");
        assertThatThrownBy(() -> keys.forBusinessKey("b1", "x".repeat(250))).hasMessageContaining("at most 255");
        assertThatThrownBy(() -> IdempotencyKeys.validate("")).hasMessageContaining("non-empty");
        assertThatThrownBy(() -> IdempotencyKeys.validate("a\nb")).hasMessageContaining("only A-Z");
        assertThatThrownBy(() -> IdempotencyKeys.validate("k".repeat(256))).hasMessageContaining("256 characters");
        assertThatThrownBy(() -> IdempotencyKeys.validate(null)).hasMessageContaining("null");
        assertThatThrownBy(() -> IdempotencyKeys.namespace("bad ns")).hasMessageContaining("namespace");
        assertThatThrownBy(() -> IdempotencyKeys.namespace("")).hasMessageContaining("namespace");
        assertThat(IdempotencyKeys.validate("k".repeat(255))).hasSize(255);
    }
}
