package io.resiliencekit.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JdbcDeadLetterSinkTest {

    private static EmbeddedPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.start();
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    private static DataSource h2() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:dlq;DB_CLOSE_DELAY=-1");
        ds.setUser("sa");
        return ds;
    }

    private static void roundTrip(DataSource ds) throws Exception {
        List<DeadLetter> written = new ArrayList<>();
        try (JdbcDeadLetterSink sink = JdbcDeadLetterSink.builder(ds).table("dead_letters").batchSize(3).build()) {
            for (int i = 0; i < 7; i++) {
                written.add(sink.write(Samples.letter(i)));
            }
        }
        assertThat(DeadLetterReader.jdbc(ds, "dead_letters").readAll()).containsExactlyElementsOf(written);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT idem_key, error_class, classification, run_id, partition_id, checksum, record"
                 + " FROM dead_letters ORDER BY id")) {
            int i = 0;
            while (rs.next()) {
                assertThat(rs.getString(1)).isEqualTo("orders:batch-42:" + i);
                assertThat(rs.getString(2)).isEqualTo("io.resiliencekit.classify.HttpStatusException");
                assertThat(rs.getString(3)).isEqualTo("PERMANENT");
                assertThat(rs.getString(4)).isEqualTo("batch-42");
                assertThat(rs.getInt(5)).isEqualTo(i % 4);
                assertThat(rs.getString(6)).isEqualTo(written.get(i).checksum());
                assertThat(rs.getString(7)).doesNotContain("hunter2").doesNotContain(Samples.API_TOKEN);
                i++;
            }
            assertThat(i).isEqualTo(7);
        }
        List<String> replayed = new ArrayList<>();
        DeadLetterReader.ReplayReport report = DeadLetterReader.jdbc(ds, "dead_letters").replay(l -> replayed.add(l.key()));
        assertThat(report.succeeded()).isEqualTo(7);
        assertThat(replayed).hasSize(7).first().isEqualTo("orders:batch-42:0");
    }

    @Test
    void postgresRoundTrip() throws Exception {
        roundTrip(pg.getPostgresDatabase());
    }

    @Test
    void h2RoundTrip() throws Exception {
        roundTrip(h2());
    }

    /**
     * Done-when 4 of issue 11, on PostgreSQL: a unit of work is all or nothing. An aborted unit leaves
     * no row, also when its commit failed half-way through the batch (a letter the table refuses); what
     * was committed before stays, and the sink goes on. Settings: batchSize 100 (the default), above
     * what one unit writes here, as the contract requires.
     */
    @Test
    void anAbortedUnitLeavesNoRowOnPostgres() throws Exception {
        DataSource ds = pg.getPostgresDatabase();
        try (JdbcDeadLetterSink sink = JdbcDeadLetterSink.builder(ds).table("dlq_abort").build()) {
            assertThat(sink.abort()).as("nothing written: nothing to discard").isZero();
            DeadLetter kept = sink.write(Samples.letter(1));
            sink.flush();                                     // committed: abort no longer touches it
            sink.write(Samples.letter(2));
            sink.write(Samples.letter(3));
            assertThat(sink.abort()).isEqualTo(2);
            assertThat(rows(ds, "dlq_abort")).isEqualTo(1);

            // a unit whose commit fails mid-batch: PostgreSQL refuses the second letter (error_class is VARCHAR(512))
            sink.write(Samples.letter(4));
            sink.write(Samples.letter(5).toBuilder().errorClass("x".repeat(600)).build());
            sink.write(Samples.letter(6));
            assertThatThrownBy(sink::flush).isInstanceOf(IllegalStateException.class).hasMessageContaining("dlq_abort");
            assertThat(rows(ds, "dlq_abort")).as("the failed commit left none of the unit's rows").isEqualTo(1);
            assertThat(sink.abort()).isEqualTo(3);

            DeadLetter later = sink.write(Samples.letter(7));  // still usable after an abort
            sink.flush();
            assertThat(DeadLetterReader.jdbc(ds, "dlq_abort").readAll()).containsExactly(kept, later);
        }
        assertThat(rows(ds, "dlq_abort")).as("close after abort adds nothing").isEqualTo(2);
    }

    private static long rows(DataSource ds, String table) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** What a driver or a pool may put in a connection failure: its url, with the password in it. */
    static final String LEAKING_FAILURE = "Connection to jdbc:postgresql://dlq:hunter22@db.internal:5432/app refused;"
        + " password=hunter22";

    /** {@code ds}, whose {@code getConnection} fails with {@link #LEAKING_FAILURE} while {@code failing} is set. */
    private static DataSource failingWhile(DataSource ds, AtomicBoolean failing) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
                if (method.getName().equals("getConnection") && failing.get()) {
                    throw new SQLException(LEAKING_FAILURE, "08001");
                }
                try {
                    return method.invoke(ds, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            });
    }

    /**
     * Regression (D1, found in review at stop 16): the sink put the driver's {@code SQLException}
     * message, and the exception itself as the cause, into its own exception, so a JDBC url's
     * password reached the task's failure, the logs and the driver. Now both are scrubbed, as in
     * {@code JdbcIdempotencyStore}; the SQL state is kept.
     */
    @Test
    void D1_aFailingDatabaseDoesNotLeakTheUrlsPasswordThroughTheSinksExceptions() {
        AtomicBoolean failing = new AtomicBoolean(true);
        DataSource ds = failingWhile(h2(), failing);
        assertThatThrownBy(() -> JdbcDeadLetterSink.builder(ds).table("dead_letters_d1").build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("cannot create dead-letter table 'dead_letters_d1'").hasMessageContaining("08001")
            .satisfies(e -> assertNoSecretInChain(e));

        failing.set(false);
        try (JdbcDeadLetterSink sink = JdbcDeadLetterSink.builder(ds).table("dead_letters_d1").batchSize(10).build()) {
            sink.write(Samples.letter(0));
            failing.set(true);
            assertThatThrownBy(sink::flush).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot write 1 dead letters").satisfies(e -> assertNoSecretInChain(e));
            failing.set(false);   // close() flushes what is left
        }
    }

    private static void assertNoSecretInChain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain("hunter22");
            assertThat(t.toString()).doesNotContain("hunter22");
        }
    }

    @Test
    void tableNamesAreValidated() {
        assertThatThrownBy(() -> JdbcDeadLetterSink.builder(h2()).table("x y")).hasMessageContaining("'x y'");
        assertThatThrownBy(() -> DeadLetterReader.jdbc(h2(), "t;--")).hasMessageContaining("'t;--'");
    }
}
