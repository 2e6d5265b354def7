package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.IdempotencyStoreException;

import io.resiliencekit.idempotency.internal.ConnectionPool;
import io.resiliencekit.config.Secrets;
import io.resiliencekit.internal.DriverManagerDataSource;
import io.resiliencekit.idempotency.internal.SqlDialect;
import io.resiliencekit.time.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a database table, shared by every JVM that can reach it and by
 * every re-run of a job. PostgreSQL claims with {@code INSERT ... ON CONFLICT DO NOTHING}; other
 * databases (H2 as the embedded single-machine default: {@code jdbc:h2:file:/var/lib/job/idem})
 * with a plain insert whose duplicate-key error means "already there". Takeover of an expired
 * hold is a compare-and-set {@code UPDATE}, so it is atomic too.
 *
 * <pre>{@code
 * JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *     .table("payments_idempotency")     // created if missing
 *     .ttl(Duration.ofDays(7))
 *     .build();
 * }</pre>
 *
 * <p>Table: {@code idem_key VARCHAR(255) PRIMARY KEY, fingerprint VARCHAR(128), status CHAR(1)
 * ('P' held, 'C' completed), holder VARCHAR(255), expires_at BIGINT (epoch ms: end of the hold,
 * or end of the TTL once completed), outcome BYTEA/VARBINARY, updated_at BIGINT}.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

    private static final int MAX_TRIES = 8;

    private final ConnectionPool pool;
    private final String table;
    private final Duration ttl;
    private final long ttlMillis;
    private final Ticker ticker;
    private final SqlDialect dialect;
    private final String insertSql;
    private final String selectSql;
    private final String takeoverSql;
    private final String completeSql;
    private final String releaseSql;
    private final String purgeSql;

    private JdbcIdempotencyStore(Builder b) {
        this.pool = new ConnectionPool(b.dataSource, b.poolSize);
        this.table = b.table;
        this.ttl = b.ttl;
        this.ttlMillis = b.ttl.toMillis();
        this.ticker = b.ticker;
        Connection c = null;
        boolean broken = false;
        try {
            c = pool.borrow();
            this.dialect = SqlDialect.of(c);
            if (b.createTable) {
                createTable(c);
            }
        } catch (SQLException e) {
            broken = true;
            throw new IdempotencyStoreException("cannot open idempotency table '" + table + "': "
                + Secrets.scrub(e.getMessage()), Secrets.scrubbed(e));
        } finally {
            pool.giveBack(c, broken);
        }
        String cols = "(idem_key, fingerprint, status, holder, expires_at, outcome, updated_at) VALUES (?, ?, 'P', ?, ?, NULL, ?)";
        this.insertSql = "INSERT INTO " + table + ' ' + cols + (dialect.hasOnConflict() ? " ON CONFLICT (idem_key) DO NOTHING" : "");
        this.selectSql = "SELECT fingerprint, status, holder, expires_at, outcome FROM " + table + " WHERE idem_key = ?";
        this.takeoverSql = "UPDATE " + table + " SET fingerprint = ?, status = 'P', holder = ?, expires_at = ?, outcome = NULL,"
            + " updated_at = ? WHERE idem_key = ? AND status = ? AND holder = ? AND expires_at = ?";
        this.completeSql = "UPDATE " + table + " SET status = 'C', outcome = ?, expires_at = ?, updated_at = ?"
            + " WHERE idem_key = ? AND holder = ? AND status = 'P'";
        this.releaseSql = "DELETE FROM " + table + " WHERE idem_key = ? AND holder = ? AND status = 'P'";
        this.purgeSql = "DELETE FROM " + table + " WHERE (status = 'C' AND expires_at <= ?) OR (status = 'P' AND expires_at <= ?)";
    }

    /** A store on {@code dataSource}; connections are pooled by the store (see {@link Builder#poolSize}). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** A store on a JDBC url through {@link java.sql.DriverManager}. */
    public static Builder builder(String url, String user, String password) {
        return new Builder(new DriverManagerDataSource(url, user, password));
    }

    private void createTable(Connection c) throws SQLException {
        String ddl = "CREATE TABLE IF NOT EXISTS " + table + " (idem_key VARCHAR(255) NOT NULL PRIMARY KEY,"
            + " fingerprint VARCHAR(128), status CHAR(1) NOT NULL, holder VARCHAR(255) NOT NULL,"
            + " expires_at BIGINT NOT NULL, outcome " + dialect.binaryType() + ", updated_at BIGINT NOT NULL)";
        try (Statement s = c.createStatement()) {
            s.execute(ddl);
        } catch (SQLException e) {
            // Two JVMs creating the table at once: PostgreSQL may report a duplicate type; fine if it exists now.
            if (!tableExists(c)) {
                throw e;
            }
        }
    }

    private boolean tableExists(Connection c) {
        try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT 1 FROM " + table + " WHERE 1 = 0").close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
        IdempotencyKeys.validate(key);
        Objects.requireNonNull(holder, "holder");
        long holdMillis = hold.toMillis();
        Connection c = null;
        boolean broken = false;
        try {
            c = pool.borrow();
            for (int i = 0; i < MAX_TRIES; i++) {
                long now = ticker.epochMillis();
                if (insert(c, key, fingerprint, holder, now + holdMillis, now)) {
                    return ClaimResult.claimed();
                }
                Row row = select(c, key);
                if (row == null) {
                    continue; // released or purged between our insert and select
                }
                boolean completed = row.status == 'C';
                if (completed && row.expiresAt <= now) {
                    // outlived its TTL: as if never seen
                    if (takeover(c, key, row, fingerprint, holder, now + holdMillis, now)) {
                        return ClaimResult.claimed();
                    }
                    continue;
                }
                if (fingerprint != null && row.fingerprint != null && !fingerprint.equals(row.fingerprint)) {
                    return ClaimResult.mismatch(row.fingerprint);
                }
                if (completed) {
                    return ClaimResult.completed(row.outcome);
                }
                if (row.expiresAt > now && !row.holder.equals(holder)) {
                    return ClaimResult.inProgress(row.holder, row.expiresAt);
                }
                // hold expired (crashed holder) or the same holder again: take over atomically
                if (takeover(c, key, row, fingerprint, holder, now + holdMillis, now)) {
                    return ClaimResult.claimed();
                }
            }
            throw new IdempotencyStoreException("claim of key '" + key + "' in table '" + table + "' did not settle after "
                + MAX_TRIES + " tries (heavy churn on this key)", null);
        } catch (SQLException e) {
            broken = true;
            throw failure("claim", key, e);
        } finally {
            pool.giveBack(c, broken);
        }
    }

    private boolean insert(Connection c, String key, String fp, String holder, long expiresAt, long now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(insertSql)) {
            ps.setString(1, key);
            setNullableString(ps, 2, fp);
            ps.setString(3, holder);
            ps.setLong(4, expiresAt);
            ps.setLong(5, now);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (!dialect.hasOnConflict() && SqlDialect.isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    private Row select(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(selectSql)) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String status = rs.getString(2);
                return new Row(rs.getString(1), status.charAt(0), rs.getString(3), rs.getLong(4), rs.getBytes(5));
            }
        }
    }

    private boolean takeover(Connection c, String key, Row row, String fp, String holder, long expiresAt, long now)
        throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(takeoverSql)) {
            setNullableString(ps, 1, fp != null ? fp : row.fingerprint);
            ps.setString(2, holder);
            ps.setLong(3, expiresAt);
            ps.setLong(4, now);
            ps.setString(5, key);
            ps.setString(6, String.valueOf(row.status));
            ps.setString(7, row.holder);
            ps.setLong(8, row.expiresAt);
            return ps.executeUpdate() == 1;
        }
    }

    @Override
    public boolean complete(String key, String holder, byte[] outcome) {
        return update("complete", key, c -> {
            try (PreparedStatement ps = c.prepareStatement(completeSql)) {
                if (outcome == null) {
                    ps.setNull(1, Types.VARBINARY);
                } else {
                    ps.setBytes(1, outcome);
                }
                long now = ticker.epochMillis();
                ps.setLong(2, now + ttlMillis);
                ps.setLong(3, now);
                ps.setString(4, key);
                ps.setString(5, holder);
                return ps.executeUpdate();
            }
        }) == 1;
    }

    @Override
    public boolean release(String key, String holder) {
        return update("release", key, c -> {
            try (PreparedStatement ps = c.prepareStatement(releaseSql)) {
                ps.setString(1, key);
                ps.setString(2, holder);
                return ps.executeUpdate();
            }
        }) == 1;
    }

    @Override
    public int purgeExpired() {
        return update("purge", null, c -> {
            try (PreparedStatement ps = c.prepareStatement(purgeSql)) {
                long now = ticker.epochMillis();
                ps.setLong(1, now);
                ps.setLong(2, now - ttlMillis);
                return ps.executeUpdate();
            }
        });
    }

    @FunctionalInterface
    private interface SqlWork {
        int run(Connection c) throws SQLException;
    }

    private int update(String what, String key, SqlWork work) {
        Connection c = null;
        boolean broken = false;
        try {
            c = pool.borrow();
            return work.run(c);
        } catch (SQLException e) {
            broken = true;
            throw failure(what, key, e);
        } finally {
            pool.giveBack(c, broken);
        }
    }

    private IdempotencyStoreException failure(String what, String key, SQLException e) {
        return new IdempotencyStoreException(what + (key == null ? "" : " of key '" + key + "'") + " in idempotency table '"
            + table + "' failed: " + Secrets.scrub(e.getMessage()) + " (SQLState " + e.getSQLState() + ")", Secrets.scrubbed(e));
    }

    private static void setNullableString(PreparedStatement ps, int i, String v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, v);
        }
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    public String table() {
        return table;
    }

    /** The database flavour detected (PostgreSQL uses ON CONFLICT; others catch duplicate keys). */
    public SqlDialect dialect() {
        return dialect;
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "JdbcIdempotencyStore{table=" + table + ", dialect=" + dialect + ", ttl=" + ttl + '}';
    }

    private static final class Row {
        final String fingerprint;
        final char status;
        final String holder;
        final long expiresAt;
        final byte[] outcome;

        Row(String fingerprint, char status, String holder, long expiresAt, byte[] outcome) {
            this.fingerprint = fingerprint;
            this.status = status;
            this.holder = holder;
            this.expiresAt = expiresAt;
            this.outcome = outcome;
        }
    }

    /** Builds a {@link JdbcIdempotencyStore}. */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = "resiliencekit_idempotency";
        private Duration ttl = Duration.ofHours(24);
        private Ticker ticker = Ticker.system();
        private int poolSize = 4;
        private boolean createTable = true;

        private Builder(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        /** Table name, optionally {@code schema.table}; only letters, digits and '_' (it is put into SQL). */
        public Builder table(String table) {
            if (table == null || !IdempotencyConfig.TABLE.matcher(table).matches()) {
                throw new IllegalArgumentException("idempotency table must be an SQL identifier (letters, digits, '_', "
                    + "at most 63, optionally schema-qualified), was '" + table + "'");
            }
            this.table = table;
            return this;
        }

        public Builder ttl(Duration ttl) {
            if (ttl == null || ttl.isZero() || ttl.isNegative()) {
                throw new IllegalArgumentException("ttl must be positive, was " + ttl);
            }
            this.ttl = ttl;
            return this;
        }

        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        /** Idle connections kept for reuse (default 4); 0 if the DataSource pools already. */
        public Builder poolSize(int poolSize) {
            if (poolSize < 0 || poolSize > 256) {
                throw new IllegalArgumentException("poolSize must be between 0 and 256, was " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** Create the table if missing (default true). */
        public Builder createTable(boolean createTable) {
            this.createTable = createTable;
            return this;
        }

        public JdbcIdempotencyStore build() {
            return new JdbcIdempotencyStore(this);
        }
    }
}
