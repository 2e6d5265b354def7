package io.resiliencekit.ratelimit;

import io.resiliencekit.ratelimit.internal.BucketLedger;
import io.resiliencekit.internal.DriverManagerDataSource;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.time.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A token authority in a database table, so several independent jobs (and JVMs) share one quota.
 * One row per bucket holds its ledger; each lease request locks the row ({@code SELECT ... FOR
 * UPDATE}), updates it and commits. Tested on PostgreSQL; H2 works too.
 *
 * <pre>{@code
 * TokenAuthority authority = new JdbcTokenAuthority(dataSource, "quota_buckets", Ticker.system());
 * LeasedTokenBucket limiter = TokenBucket.builder("orders-api").rate(100).buildLeased(authority);
 * }</pre>
 *
 * <p>The table is created on first use if missing. Time is this JVM's wall clock; JVMs sharing a
 * bucket should have synchronised clocks (the ledger never moves backwards, so small skew only
 * delays refills). Requests are made from a background thread; with a few requests per client per
 * second, one connection per authority is kept and re-opened after a failure.
 */
public final class JdbcTokenAuthority implements TokenAuthority {

    private static final int QUERY_TIMEOUT_SECONDS = 5;

    private final DataSource dataSource;
    private final String table;
    private final Ticker ticker;
    private final String selectSql;
    private final String insertSql;
    private final String updateSql;
    private Connection connection;
    private boolean schemaReady;
    // The ledger this authority wrote last, per bucket: when the row still holds what we wrote (no other
    // JVM has granted since), it is used as it is instead of being decoded again.
    private final java.util.Map<String, Cached> written = new java.util.HashMap<>();

    private static final class Cached {
        final String state;
        final BucketLedger ledger;

        Cached(String state, BucketLedger ledger) {
            this.state = state;
            this.ledger = ledger;
        }
    }

    /**
     * @param table validated against {@link TokenBucketConfig#TABLE_NAME} (it is spliced into SQL)
     */
    public JdbcTokenAuthority(DataSource dataSource, String table, Ticker ticker) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        if (table == null || !TokenBucketConfig.TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("jdbc.table: must be a table name such as quota or app.quota, was '"
                + table + "'");
        }
        this.table = table;
        this.selectSql = "SELECT state FROM " + table + " WHERE bucket = ? FOR UPDATE";
        this.insertSql = "INSERT INTO " + table + " (bucket, state, updated_at) VALUES (?, ?, ?)";
        this.updateSql = "UPDATE " + table + " SET state = ?, updated_at = ? WHERE bucket = ?";
    }

    /** Opens connections with {@link java.sql.DriverManager}; the password never appears in errors or logs. */
    public static JdbcTokenAuthority fromUrl(String url, String user, String password, String table, Ticker ticker) {
        return new JdbcTokenAuthority(new DriverManagerDataSource(url, user, password), table, ticker);
    }

    @Override
    public synchronized LeaseResponse requestLease(LeaseRequest request) {
        SQLException last = null;
        for (int attempt = 0; attempt < 2; attempt++) { // once more on a fresh connection, or after losing an insert race
            try {
                Connection c = connection();
                try {
                    LeaseResponse r = grantInTransaction(c, request);
                    c.commit();
                    return r;
                } catch (SQLException | RuntimeException e) {
                    written.remove(request.bucket()); // what we wrote did not commit
                    rollbackQuietly(c);
                    throw e;
                }
            } catch (SQLException e) {
                last = e;
                closeQuietly();
            }
        }
        throw new TokenAuthorityException("token authority table " + table + " failed for bucket '"
            + request.bucket() + "': " + last.getClass().getSimpleName() + " (SQLState " + last.getSQLState() + ")", last);
    }

    private LeaseResponse grantInTransaction(Connection c, LeaseRequest request) throws SQLException {
        String state = null;
        boolean exists = false;
        try (PreparedStatement ps = c.prepareStatement(selectSql)) {
            ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            ps.setString(1, request.bucket());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    exists = true;
                    state = rs.getString(1);
                }
            }
        }
        Cached mine = written.remove(request.bucket());
        BucketLedger ledger = mine != null && mine.state.equals(state) ? mine.ledger : BucketLedger.decode(state);
        long nowNanos = ticker.epochMillis() * 1_000_000L;
        LeaseResponse response = ledger.grant(request, nowNanos);
        String encoded = ledger.encode();
        written.put(request.bucket(), new Cached(encoded, ledger));
        if (exists) {
            try (PreparedStatement ps = c.prepareStatement(updateSql)) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setString(1, encoded);
                ps.setLong(2, ticker.epochMillis());
                ps.setString(3, request.bucket());
                ps.executeUpdate();
            }
        } else {
            // Two clients may insert the same new row at once; the loser's transaction fails and is retried,
            // then finds the row and locks it.
            try (PreparedStatement ps = c.prepareStatement(insertSql)) {
                ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                ps.setString(1, request.bucket());
                ps.setString(2, encoded);
                ps.setLong(3, ticker.epochMillis());
                ps.executeUpdate();
            }
        }
        return response;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            Connection c = dataSource.getConnection();
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            connection = c;
            if (!schemaReady) {
                createSchema(c);
            }
        }
        return connection;
    }

    private void createSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            st.execute("CREATE TABLE IF NOT EXISTS " + table
                + " (bucket VARCHAR(200) PRIMARY KEY, state VARCHAR(1000000) NOT NULL, updated_at BIGINT NOT NULL)");
            c.commit();
        } catch (SQLException e) {
            rollbackQuietly(c);
            // A concurrent creator may have won; the table exists either way if the next query works.
            try (Statement st = c.createStatement()) {
                st.execute("SELECT COUNT(*) FROM " + table + " WHERE 1 = 0");
                c.commit();
            }
        }
        schemaReady = true;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is dropped by the caller
        }
    }

    private void closeQuietly() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    @Override
    public String toString() {
        return "JdbcTokenAuthority{table=" + table + '}';
    }
}
