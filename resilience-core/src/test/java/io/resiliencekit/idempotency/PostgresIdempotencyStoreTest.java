package io.resiliencekit.idempotency;

import io.resiliencekit.event.EventPublisher;

import io.resiliencekit.policy.ResilienceRuntime;

import io.resiliencekit.spi.IdempotencyGuard;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.CallContext;
import io.resiliencekit.idempotency.internal.SqlDialect;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a real PostgreSQL, plus done-when 1 (two JVMs race on 10,000 keys) and
 * done-when 2 (a holder JVM destroyed mid-action blocks its key only until the hold expires).
 */
class PostgresIdempotencyStoreTest extends IdempotencyStoreContract {

    private static final AtomicInteger TABLES = new AtomicInteger();
    private static EmbeddedPostgres pg;
    private static String url;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = EmbeddedPostgres.start();
        url = pg.getJdbcUrl("postgres", "postgres");
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effects (idem_key VARCHAR(255) NOT NULL, jvm VARCHAR(64) NOT NULL)");
        }
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Override
    protected IdempotencyStore newStore(ManualTicker ticker, Duration ttl) {
        JdbcIdempotencyStore s = JdbcIdempotencyStore.builder(pg.getPostgresDatabase())
            .table("idem_" + TABLES.incrementAndGet()).ticker(ticker).ttl(ttl).build();
        assertThat(s.dialect()).isEqualTo(SqlDialect.POSTGRESQL);
        return s;
    }

    private static long count(String sql, String arg) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (arg != null) {
                ps.setString(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void twoJvmsRaceOnTheSameTenThousandKeys() throws Exception {
        String table = "idem_race";
        int keys = 10_000;
        JdbcIdempotencyStore.builder(pg.getPostgresDatabase()).table(table).build().close(); // schema first
        try (Jvms a = new Jvms(IdempotencyWorker.class, "race", url, table, Integer.toString(keys), "2");
             Jvms b = new Jvms(IdempotencyWorker.class, "race", url, table, Integer.toString(keys), "2")) {
            a.expect("READY", 60);
            b.expect("READY", 60);
            a.send("GO");
            b.send("GO");
            long[] ra = parse(a.expect("RESULT", 180));
            long[] rb = parse(b.expect("RESULT", 180));
            // every key was claimed once by each JVM: one of the two got NEW, the other IN_PROGRESS or COMPLETED
            assertThat(ra[0] + rb[0]).as("NEW").isEqualTo(keys);
            assertThat(ra[1] + rb[1] + ra[2] + rb[2]).as("IN_PROGRESS + COMPLETED").isEqualTo(keys);
            assertThat(ra[3] + rb[3]).as("MISMATCH").isZero();
            System.out.printf("two-JVM race: A NEW=%d IN_PROGRESS=%d COMPLETED=%d, B NEW=%d IN_PROGRESS=%d COMPLETED=%d%n",
                ra[0], ra[1], ra[2], rb[0], rb[1], rb[2]);
        }
        // the action's target: one effect row per key, none twice
        assertThat(count("SELECT count(*) FROM effects WHERE idem_key LIKE 'mjvm:%'", null)).isEqualTo(keys);
        assertThat(count("SELECT count(DISTINCT idem_key) FROM effects WHERE idem_key LIKE 'mjvm:%'", null)).isEqualTo(keys);
        assertThat(count("SELECT count(*) FROM " + table + " WHERE status = 'C'", null)).isEqualTo(keys);
    }

    @Test
    void aKilledHolderBlocksItsKeyOnlyUntilTheHoldExpires() throws Exception {
        String table = "idem_crash";
        String key = "crash:run1:order-7";
        long holdMillis = 1_500;
        IdempotencyConfig config = IdempotencyConfig.builder().jdbc(url, null, null).table(table)
            .hold(Duration.ofSeconds(30)).poll(Duration.ofMillis(50), Duration.ofMillis(200)).maxWait(Duration.ofSeconds(20))
            .build();
        ResilienceRuntime runtime = ResilienceRuntime.builder().build();
        JdbcIdempotencyStore store = (JdbcIdempotencyStore) config.store(runtime);
        try (Jvms holder = new Jvms(IdempotencyWorker.class, "hold", url, table, key, Long.toString(holdMillis))) {
            assertThat(holder.expect("CLAIMED", 60)).isEqualTo("CLAIMED NEW");
            ClaimResult blocked = store.claim(key, "fp", "observer", Duration.ofSeconds(30));
            assertThat(blocked.status()).isEqualTo(ClaimResult.Status.IN_PROGRESS);
            assertThat(blocked.holder()).startsWith("doomed-");
            holder.kill(); // mid-action: it never completes or releases
            assertThat(holder.process().isAlive()).isFalse();

            AtomicInteger runs = new AtomicInteger();
            AtomicLong startedAt = new AtomicLong();
            IdempotencyGuard guard = config.create(runtime, new EventPublisher());
            CallContext ctx = CallContext.builder().idempotencyKey(key).fingerprint("fp").build();
            String out = guard.execute("orders", ctx, () -> {
                startedAt.set(System.currentTimeMillis());
                runs.incrementAndGet();
                return "charged";
            });
            assertThat(out).isEqualTo("charged");
            assertThat(startedAt.get()).as("ran only after the crashed holder's hold ended")
                .isGreaterThanOrEqualTo(blocked.expiresAtEpochMillis());
            // another caller (another guard, same store) now gets the outcome; the action ran once
            assertThat(config.create(runtime, new EventPublisher()).execute("orders", ctx, () -> {
                runs.incrementAndGet();
                return "again";
            })).isEqualTo("charged");
            assertThat(runs).hasValue(1);
            assertThat(count("SELECT count(*) FROM " + table + " WHERE idem_key = ? AND status = 'C'", key)).isEqualTo(1);
        } finally {
            runtime.close();
        }
    }

    private static long[] parse(String resultLine) {
        String[] p = resultLine.split(" ");
        return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4])};
    }
}
