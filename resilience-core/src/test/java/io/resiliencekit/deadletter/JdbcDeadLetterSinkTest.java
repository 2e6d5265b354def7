package io.resiliencekit.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
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

    @Test
    void tableNamesAreValidated() {
        assertThatThrownBy(() -> JdbcDeadLetterSink.builder(h2()).table("x y")).hasMessageContaining("'x y'");
        assertThatThrownBy(() -> DeadLetterReader.jdbc(h2(), "t;--")).hasMessageContaining("'t;--'");
    }
}
