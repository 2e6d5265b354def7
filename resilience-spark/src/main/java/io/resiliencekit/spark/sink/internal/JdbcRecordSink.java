package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.config.Secrets;
import io.resiliencekit.spark.sink.RecordSink;
import io.resiliencekit.spark.sink.SinkContext;
import io.resiliencekit.spark.sink.SinkOptions;
import io.resiliencekit.spark.sink.SinkRecord;
import io.resiliencekit.spark.sink.SinkUnavailableException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.apache.spark.sql.types.StructField;

/**
 * The built-in {@code jdbc} sink (PostgreSQL): each batch is one transaction that first inserts
 * the batch's keys into the ledger table ({@code ON CONFLICT DO NOTHING}) and then only the rows
 * whose key was new. A retried, speculative or re-run task finds its keys there and writes
 * nothing twice; a twin writing at the same time waits on the ledger's primary key and then
 * finds the key taken.
 */
final class JdbcRecordSink implements RecordSink {

    private final SinkSettings settings;
    private final String insertRow;
    private final String insertKey;
    private final int columns;
    private DataSource dataSource;
    private long keysFoundInLedger;

    JdbcRecordSink(SinkSettings settings) {
        this.settings = settings;
        SinkOptions o = settings.sink();
        StructField[] fields = settings.codec().schema().fields();
        this.columns = fields.length;
        List<String> names = new ArrayList<>();
        for (StructField f : fields) {
            names.add(f.name());   // identifiers checked on the driver (RowCodec)
        }
        String marks = String.join(",", java.util.Collections.nCopies(columns, "?"));
        String sql = "INSERT INTO " + o.jdbcTable() + " (" + String.join(",", names) + ") VALUES (" + marks + ")";
        if (o.jdbcMode() == SinkOptions.JdbcMode.UPSERT) {
            List<String> sets = new ArrayList<>();
            for (String n : names) {
                if (o.jdbcKeyColumns().stream().noneMatch(n::equalsIgnoreCase)) {
                    sets.add(n + " = EXCLUDED." + n);
                }
            }
            sql += " ON CONFLICT (" + String.join(",", o.jdbcKeyColumns()) + ") "
                + (sets.isEmpty() ? "DO NOTHING" : "DO UPDATE SET " + String.join(", ", sets));
        } else {
            sql += " ON CONFLICT DO NOTHING";
        }
        this.insertRow = sql;
        this.insertKey = "INSERT INTO " + o.jdbcLedgerTable() + " (idempotency_key) VALUES (?) ON CONFLICT DO NOTHING";
    }

    @Override
    public void open(SinkContext context) {
        dataSource = JdbcPools.dataSource(settings.sink());
        if (context.partition() == null) {
            createLedger();   // on the driver, before any task
        }
    }

    private void createLedger() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + settings.sink().jdbcLedgerTable()
                + " (idempotency_key VARCHAR(255) PRIMARY KEY, written_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
        } catch (SQLException | RuntimeException e) {
            throw unavailable(e);
        }
    }

    private String target() {
        SinkOptions o = settings.sink();
        return o.jdbcUrl() == null ? o.jdbcDataSourceFactory() : Secrets.redactUrl(o.jdbcUrl());
    }

    /** A refused or failed connection, in words, without the driver's message (it may quote the URL's secrets). */
    private SinkUnavailableException unavailable(Exception e) {
        if (e instanceof SinkUnavailableException u) {
            return u;
        }
        SQLException sql = e instanceof SQLException x ? x : e.getCause() instanceof SQLException x ? x : null;
        String state = sql == null ? null : sql.getSQLState();
        boolean auth = state != null && state.startsWith("28");
        return new SinkUnavailableException("jdbc sink health check: " + (auth
            ? "authentication refused by " + target() + " (SQLState " + state + "): check jdbc.user and jdbc.password"
            : "cannot connect to " + target() + (state == null ? "" : " (SQLState " + state + ")") + ": "
                + Secrets.scrub(String.valueOf(e.getMessage()))) + "; no task was started");
    }

    /** Rows of committed batches that were skipped because their key was in the ledger already. */
    long keysFoundInLedger() {
        return keysFoundInLedger;
    }

    @Override
    public boolean deduplicatesByKey() {
        return true;
    }

    @Override
    public void healthCheck() {
        SinkOptions o = settings.sink();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeQuery("SELECT * FROM " + o.jdbcTable() + " WHERE 1 = 0").close();
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("42")) {   // undefined table, no privilege
                throw new SinkUnavailableException("jdbc sink health check: table " + o.jdbcTable() + " cannot be read at "
                    + target() + " (SQLState " + e.getSQLState() + "); no task was started");
            }
            throw unavailable(e);
        } catch (RuntimeException e) {
            throw unavailable(e);   // HikariCP wraps a refused first connection in its own runtime exception
        }
    }

    @Override
    public void write(List<SinkRecord> records) throws SQLException, InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            // a killed task stops between transactions; its retry finds the committed keys in the ledger
            throw new InterruptedException("task killed before writing a batch");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            long skippedNow = 0;
            try {
                boolean[] fresh = new boolean[records.size()];
                try (PreparedStatement keys = c.prepareStatement(insertKey)) {
                    for (SinkRecord r : records) {
                        keys.setString(1, r.key());
                        keys.addBatch();
                    }
                    int[] counts = keys.executeBatch();
                    for (int i = 0; i < counts.length; i++) {
                        fresh[i] = counts[i] != 0;   // 0: the key is in the ledger, its row written before
                        skippedNow += fresh[i] ? 0 : 1;
                    }
                }
                try (PreparedStatement rows = c.prepareStatement(insertRow)) {
                    int n = 0;
                    for (int i = 0; i < fresh.length; i++) {
                        if (fresh[i]) {
                            bind(rows, records.get(i));
                            rows.addBatch();
                            n++;
                        }
                    }
                    if (n > 0) {
                        rows.executeBatch();
                    }
                }
                c.commit();
                keysFoundInLedger += skippedNow;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private void bind(PreparedStatement ps, SinkRecord r) throws SQLException {
        for (int i = 0; i < columns; i++) {
            Object v = r.value(i);
            int p = i + 1;
            if (v instanceof Instant t) {
                ps.setTimestamp(p, Timestamp.from(t));
            } else if (v instanceof LocalDateTime t) {
                ps.setTimestamp(p, Timestamp.valueOf(t));
            } else if (v instanceof LocalDate d) {
                ps.setDate(p, java.sql.Date.valueOf(d));
            } else if (v instanceof BigDecimal d) {
                ps.setBigDecimal(p, d);
            } else {
                ps.setObject(p, v);
            }
        }
    }
}
