package io.resiliencekit.idempotency.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import javax.sql.DataSource;

/**
 * Keeps up to {@code maxIdle} autocommit connections for reuse. Core may not depend on a pool
 * library, and opening a PostgreSQL connection per claim costs milliseconds. Connections that
 * saw an error are closed, not reused. With {@code maxIdle == 0} every borrow opens a connection
 * (for DataSources that already pool).
 */
public final class ConnectionPool implements AutoCloseable {

    private final DataSource dataSource;
    private final BlockingQueue<Connection> idle;
    private final int maxIdle;
    private volatile boolean closed;

    public ConnectionPool(DataSource dataSource, int maxIdle) {
        this.dataSource = dataSource;
        this.maxIdle = maxIdle;
        this.idle = new ArrayBlockingQueue<>(Math.max(1, maxIdle));
    }

    public Connection borrow() throws SQLException {
        Connection c;
        while ((c = idle.poll()) != null) {
            if (!c.isClosed()) {
                return c;
            }
        }
        c = dataSource.getConnection();
        if (!c.getAutoCommit()) {
            c.setAutoCommit(true);
        }
        return c;
    }

    /** Returns a connection; {@code broken} ones (an SQLException happened on them) are closed. */
    public void giveBack(Connection c, boolean broken) {
        if (c == null) {
            return;
        }
        if (broken || closed || maxIdle == 0 || !idle.offer(c)) {
            closeQuietly(c);
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // closing anyway
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing more to do
        }
    }
}
