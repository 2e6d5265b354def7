package io.resiliencekit.spark.partition.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

import io.resiliencekit.CallContext;
import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.IdempotencyKeys;

/** The partition runner's keys: core's streaming encoder over a row's values, one key string per record. */
class RecordKeysTest {

    final RecordKeys keys = new RecordKeys("rk", "run-7", 3);

    @Test
    void aRowIsKeyedByItsValuesInOrderNeverByToString() throws Exception {
        Row row = RowFactory.create("ord-1", 42L, new BigDecimal("9.90"), null,
                RowFactory.create("nested", 1), Timestamp.from(Instant.parse("2026-01-31T10:00:00Z")));
        CallContext ctx = keys.record(row, null, null);
        List<Object> same = java.util.Arrays.asList("ord-1", 42, new BigDecimal("9.9"), null, List.of("nested", 1L),
                Instant.parse("2026-01-31T10:00:00Z"));
        assertThat(ctx.idempotencyKey()).as("a row is the list of its values, numbers by value, timestamps as instants")
                .isEqualTo(IdempotencyKeys.namespace("rk").forContent("run-7", "p3", same));
        assertThat(ctx.fingerprint()).as("a content key is the content's hash: no second one").isNull();
        assertThat(keys.record(RowFactory.create(42L, "ord-1", new BigDecimal("9.90"), null,
                RowFactory.create("nested", 1), Timestamp.from(Instant.parse("2026-01-31T10:00:00Z"))), null, null)
                .idempotencyKey()).as("positions matter").isNotEqualTo(ctx.idempotencyKey());
        assertThat(keys.record(row, null, null).idempotencyKey()).as("stable").isEqualTo(ctx.idempotencyKey());
        assertThat(new RecordKeys("rk", "run-7", 4).record(row, null, null).idempotencyKey())
                .as("scoped by partition").isNotEqualTo(ctx.idempotencyKey()).startsWith("rk:run-7:p4:");
    }

    @Test
    void businessKeysCarryTheContentsFingerprint() throws Exception {
        Map<String, Object> order = Map.of("id", "ord-9", "amount", 12);
        CallContext ctx = keys.record(order, o -> (String) o.get("id"), null);
        assertThat(ctx.idempotencyKey()).isEqualTo("rk:run-7:ord-9");
        assertThat(ctx.fingerprint()).isEqualTo(Fingerprints.of(order));
        CallContext raw = keys.record("payload", s -> "k-1", s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(raw.fingerprint()).isEqualTo(Fingerprints.sha256Hex("payload"));
    }

    @Test
    void aBatchIsKeyedByEveryRecordInOrder() throws Exception {
        CallContext ab = keys.batch(List.of("a", "b"), 0, null, null);
        assertThat(ab.idempotencyKey()).startsWith("rk:run-7:p3:b:");
        assertThat(keys.batch(List.of("b", "a"), 0, null, null).idempotencyKey()).isNotEqualTo(ab.idempotencyKey());
        assertThat(keys.batch(List.of("a", "b"), 0, null, null).idempotencyKey()).isEqualTo(ab.idempotencyKey());
    }

    @Test
    void typesWithNoCanonicalFormAreNamed() {
        Row odd = RowFactory.create("x", new Object());
        assertThatThrownBy(() -> keys.record(odd, null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Object").hasMessageContaining("$[1]");
    }
}
