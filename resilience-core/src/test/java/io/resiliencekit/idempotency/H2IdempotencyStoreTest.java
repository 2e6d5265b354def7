package io.resiliencekit.idempotency;

import io.resiliencekit.spi.IdempotencyStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.idempotency.internal.SqlDialect;
import io.resiliencekit.time.ManualTicker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on an embedded H2 file database, the single-machine default. */
class H2IdempotencyStoreTest extends IdempotencyStoreContract {

    private static final AtomicInteger TABLES = new AtomicInteger();

    @TempDir
    static Path dir;

    @Override
    protected IdempotencyStore newStore(ManualTicker ticker, Duration ttl) {
        JdbcIdempotencyStore s = JdbcIdempotencyStore.builder("jdbc:h2:file:" + dir.resolve("idem") + ";DB_CLOSE_DELAY=0", "sa", "")
            .table("idem_" + TABLES.incrementAndGet()).ticker(ticker).ttl(ttl).build();
        assertThat(s.dialect()).isEqualTo(SqlDialect.H2);
        return s;
    }

    @Test
    void tableNamesAreValidatedBeforeTheyReachSql() {
        assertThatThrownBy(() -> JdbcIdempotencyStore.builder("jdbc:h2:mem:x", "sa", "").table("t; DROP TABLE x"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("t; DROP TABLE x");
        assertThat(JdbcIdempotencyStore.builder("jdbc:h2:mem:x", "sa", "").table("app.idem_1")).isNotNull();
    }

    @Test
    void outcomesSurviveReopeningTheDatabase() {
        store.complete("k:p", claimNew("k:p", "fp", "h1"), new byte[] {1, 2, 3});
        String table = ((JdbcIdempotencyStore) store).table();
        store.close();
        store = JdbcIdempotencyStore.builder("jdbc:h2:file:" + dir.resolve("idem"), "sa", "").table(table).ticker(ticker).build();
        assertThat(store.claim("k:p", "fp", "h2", HOLD).outcome()).containsExactly(1, 2, 3);
    }
}
