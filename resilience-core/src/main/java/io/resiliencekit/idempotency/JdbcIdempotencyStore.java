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
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a database table, shared by every JVM that can reach it and by
 * every re-run of a job. PostgreSQL claims with {@code INSERT ... ON CONFLICT DO NOTHING}; other
 * databases (H2 as the embedded single-machine default: {@code jdbc:h2:file:/var/lib/job/idem})
 * with a plain insert whose duplicate-key error means "already there". Takeover of an expired
 * hold is a compare-and-set {@code UPDATE} on the row's fencing token, so it is atomic too.
 *
 * <pre>{@code
 * JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *     .table("payments_idempotency")     // created if missing
 *     .ttl(Duration.ofDays(7))
 *     .build();
 * }</pre>
 *
 * <p><b>One clock: the database's.</b> On PostgreSQL and H2 every hold, expiry, TTL and purge is
 * computed in SQL from the database's {@code CURRENT_TIMESTAMP}, so JVMs whose clocks disagree
 * still agree on when a hold ends. Other databases get this store's ticker (the JVM's clock) as a
 * literal in each statement.
 *
 * <p>Table: {@code idem_key VARCHAR(255) PRIMARY KEY, fingerprint VARCHAR(128), status CHAR(1)
 * ('P' held, 'C' completed, 'R' released), holder VARCHAR(255), token BIGINT (fencing token of the
 * current hold), expires_at BIGINT (epoch ms of the database: end of the hold, or of the TTL once
 * completed or released), outcome BYTEA/VARBINARY, updated_at BIGINT}. Released rows keep their
 * token until purged, so a key's tokens only grow while the table remembers it; a table of an
 * earlier version gets its {@code token} column on first use.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

    private static final int MAX_TRIES = 8;
    private static final String NOW = "{now}";

    private final ConnectionPool pool;
    private final String table;
    private final Duration ttl;
    private final long ttlMillis;
    private final Ticker ticker;
    private final boolean shifted;
    private final long tickerStartMillis;
    private final long systemStartNanos;
    private final SqlDialect dialect;
    private final String insertSql;
    private final String selectSql;
    private final String takeoverSql;
    private final String renewSql;
    private final String completeSql;
    private final String releaseSql;
    private final String purgeSql;

    private JdbcIdempotencyStore(Builder b) {
        this.pool = new ConnectionPool(b.dataSource, b.poolSize);
        this.table = b.table;
        this.ttl = b.ttl;
        this.ttlMillis = b.ttl.toMillis();
        this.ticker = b.ticker;
        this.shifted = b.ticker != Ticker.system();
        this.tickerStartMillis = b.ticker.epochMillis();
        this.systemStartNanos = System.nanoTime();
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
        String cols = "(idem_key, fingerprint, status, holder, token, expires_at, outcome, updated_at)"
            + " VALUES (?, ?, 'P', ?, ?, " + NOW + " + ?, NULL, " + NOW + ")";
        this.insertSql = clock("INSERT INTO " + table + ' ' + cols
            + (dialect.hasOnConflict() ? " ON CONFLICT (idem_key) DO NOTHING" : ""));
        this.selectSql = clock("SELECT fingerprint, status, holder, token, expires_at, outcome, " + NOW + " FROM " + table
            + " WHERE idem_key = ?");
        this.takeoverSql = clock("UPDATE " + table + " SET fingerprint = ?, status = 'P', holder = ?, token = ?,"
            + " expires_at = " + NOW + " + ?, outcome = NULL, updated_at = " + NOW
            + " WHERE idem_key = ? AND status = ? AND token = ? AND expires_at = ?");
        this.renewSql = clock("UPDATE " + table + " SET expires_at = " + NOW + " + ?, updated_at = " + NOW
            + " WHERE idem_key = ? AND token = ? AND status = 'P'");
        this.completeSql = clock("UPDATE " + table + " SET status = 'C', outcome = ?, expires_at = " + NOW + " + ?,"
            + " updated_at = " + NOW + " WHERE idem_key = ? AND token = ? AND status = 'P'");
        this.releaseSql = clock("UPDATE " + table + " SET status = 'R', outcome = NULL, expires_at = " + NOW + " + ?,"
            + " updated_at = " + NOW + " WHERE idem_key = ? AND token = ? AND status = 'P'");
        this.purgeSql = clock("DELETE FROM " + table + " WHERE (status <> 'P' AND expires_at <= " + NOW + ")"
            + " OR (status = 'P' AND expires_at <= " + NOW + " - ?)");
    }

    /** A store on {@code dataSource}; connections are pooled by the store (see {@link Builder#poolSize}). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** A store on a JDBC url through {@link java.sql.DriverManager}. */
    public static Builder builder(String url, String user, String password) {
        return new Builder(new DriverManagerDataSource(url, user, password));
    }

    /** The statement with the database's clock in it, where the dialect has one and no virtual time shifts it. */
    private String clock(String template) {
        String now = dialect.nowMillisSql();
        return now == null || shifted ? template : template.replace(NOW, now);
    }

    /**
     * The statement to run now. Databases without a known clock expression get this JVM's clock as a
     * literal; with a virtual ticker (tests) the database's clock is shifted by how far the ticker ran ahead
     * of real time. A clock that is only set apart (an offset) shifts nothing: the database's clock rules.
     */
    private String sql(String statement) {
        String now = dialect.nowMillisSql();
        if (now == null) {
            return statement.replace(NOW, Long.toString(ticker.epochMillis()));
        }
        if (!shifted) {
            return statement;
        }
        // how far the ticker ran ahead of real time since the store was built: 0 for a clock that only has an offset
        long ahead = (ticker.epochMillis() - tickerStartMillis) - (System.nanoTime() - systemStartNanos) / 1_000_000L;
        return statement.replace(NOW, "(" + now + " + " + ahead + ")");
    }

    private void createTable(Connection c) throws SQLException {
        String ddl = "CREATE TABLE IF NOT EXISTS " + table + " (idem_key VARCHAR(255) NOT NULL PRIMARY KEY,"
            + " fingerprint VARCHAR(128), status CHAR(1) NOT NULL, holder VARCHAR(255) NOT NULL,"
            + " token BIGINT DEFAULT 0 NOT NULL,"
            + " expires_at BIGINT NOT NULL, outcome " + dialect.binaryType() + ", updated_at BIGINT NOT NULL)";
        try (Statement s = c.createStatement()) {
            s.execute(ddl);
        } catch (SQLException e) {
            // Two JVMs creating the table at once: PostgreSQL may report a duplicate type; fine if it exists now.
            if (!selects(c, "1")) {
                throw e;
            }
        }
        if (!selects(c, "token")) {
            // a table made by a version without fencing tokens
            try (Statement s = c.createStatement()) {
                s.execute("ALTER TABLE " + table + " ADD COLUMN token BIGINT DEFAULT 0 NOT NULL");
            } catch (SQLException e) {
                if (!selects(c, "token")) {
                    throw e; // not added concurrently by another JVM either
                }
            }
        }
    }

    private boolean selects(Connection c, String column) {
        try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT " + column + " FROM " + table + " WHERE 1 = 0").close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * A token for a key the table does not know: from this JVM's clock and randomness, so that it
     * differs from any token the key had before it was purged (tokens of a known key grow by one).
     */
    private long freshToken() {
        return (ticker.epochMillis() << 12) | ThreadLocalRandom.current().nextInt(1 << 12);
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
                long token = freshToken();
                if (insert(c, key, fingerprint, holder, token, holdMillis)) {
                    return ClaimResult.claimed(token);
                }
                Row row = select(c, key);
                if (row == null) {
                    continue; // purged between our insert and select
                }
                long now = row.dbNow;
                if (row.status == 'R' || (row.status == 'C' && row.expiresAt <= now)) {
                    // released, or completed and past its TTL: as if never seen, whatever the payload
                    if (takeover(c, key, row, fingerprint, holder, holdMillis)) {
                        return ClaimResult.claimed(row.token + 1);
                    }
                    continue;
                }
                if (fingerprint != null && row.fingerprint != null && !fingerprint.equals(row.fingerprint)) {
                    return ClaimResult.mismatch(row.fingerprint);
                }
                if (row.status == 'C') {
                    return ClaimResult.completed(row.outcome);
                }
                if (row.expiresAt > now && !row.holder.equals(holder)) {
                    return ClaimResult.inProgress(row.holder, row.expiresAt, row.expiresAt - now);
                }
                // hold expired (crashed or paused holder) or the same holder again: take over atomically
                if (takeover(c, key, row, fingerprint != null ? fingerprint : row.fingerprint, holder, holdMillis)) {
                    return ClaimResult.claimed(row.token + 1);
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

    private boolean insert(Connection c, String key, String fp, String holder, long token, long holdMillis)
        throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql(insertSql))) {
            ps.setString(1, key);
            setNullableString(ps, 2, fp);
            ps.setString(3, holder);
            ps.setLong(4, token);
            ps.setLong(5, holdMillis);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if (!dialect.hasOnConflict() && SqlDialect.isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    private Row select(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql(selectSql))) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String status = rs.getString(2);
                return new Row(rs.getString(1), status.charAt(0), rs.getString(3), rs.getLong(4), rs.getLong(5),
                    rs.getBytes(6), rs.getLong(7));
            }
        }
    }

    private boolean takeover(Connection c, String key, Row row, String fp, String holder, long holdMillis)
        throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql(takeoverSql))) {
            setNullableString(ps, 1, fp);
            ps.setString(2, holder);
            ps.setLong(3, row.token + 1);
            ps.setLong(4, holdMillis);
            ps.setString(5, key);
            ps.setString(6, String.valueOf(row.status));
            ps.setLong(7, row.token);
            ps.setLong(8, row.expiresAt);
            return ps.executeUpdate() == 1;
        }
    }

    @Override
    public boolean renew(String key, long fencingToken, Duration hold) {
        return update("renew", key, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql(renewSql))) {
                ps.setLong(1, hold.toMillis());
                ps.setString(2, key);
                ps.setLong(3, fencingToken);
                return ps.executeUpdate();
            }
        }) == 1;
    }

    @Override
    public boolean complete(String key, long fencingToken, byte[] outcome) {
        return update("complete", key, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql(completeSql))) {
                if (outcome == null) {
                    ps.setNull(1, Types.VARBINARY);
                } else {
                    ps.setBytes(1, outcome);
                }
                ps.setLong(2, ttlMillis);
                ps.setString(3, key);
                ps.setLong(4, fencingToken);
                return ps.executeUpdate();
            }
        }) == 1;
    }

    @Override
    public boolean release(String key, long fencingToken) {
        return update("release", key, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql(releaseSql))) {
                ps.setLong(1, ttlMillis);
                ps.setString(2, key);
                ps.setLong(3, fencingToken);
                return ps.executeUpdate();
            }
        }) == 1;
    }

    @Override
    public int purgeExpired() {
        return update("purge", null, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql(purgeSql))) {
                ps.setLong(1, ttlMillis);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Releases every hold in the table at once and returns how many there were. Only for a table that no
     * live holder can be using, such as an embedded database file that one process alone can open (H2 locks
     * it): a new application on it releases what the executors of a dead one held, instead of waiting out
     * their holds.
     */
    public int releaseEveryHold() {
        return update("release every hold", null, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql(clock("UPDATE " + table + " SET status = 'R', outcome = NULL,"
                + " expires_at = " + NOW + " + ?, updated_at = " + NOW + " WHERE status = 'P'")))) {
                ps.setLong(1, ttlMillis);
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
        final long token;
        final long expiresAt;
        final byte[] outcome;
        final long dbNow;

        Row(String fingerprint, char status, String holder, long token, long expiresAt, byte[] outcome, long dbNow) {
            this.fingerprint = fingerprint;
            this.status = status;
            this.holder = holder;
            this.token = token;
            this.expiresAt = expiresAt;
            this.outcome = outcome;
            this.dbNow = dbNow;
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

        /**
         * The clock for databases without a known clock expression (default the system's). On PostgreSQL and
         * H2 the database's clock rules; a ticker other than the system's only shifts it by how far the ticker
         * ran ahead of real time since the store was built (tests on virtual time), never by its offset.
         */
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
