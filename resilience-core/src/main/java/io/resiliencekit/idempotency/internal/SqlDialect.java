package io.resiliencekit.idempotency.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** The few SQL differences that matter here: conflict-free insert, the binary column type, the database's clock. */
public enum SqlDialect {
    POSTGRESQL("BYTEA", "TEXT", "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)"),
    H2("VARBINARY", "CHARACTER LARGE OBJECT", "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)"),
    GENERIC("BLOB", "CLOB", null);

    private final String binaryType;
    private final String textType;
    private final String nowMillisSql;

    SqlDialect(String binaryType, String textType, String nowMillisSql) {
        this.binaryType = binaryType;
        this.textType = textType;
        this.nowMillisSql = nowMillisSql;
    }

    /** An SQL expression for the database's current time in epoch milliseconds, or null if not known for it. */
    public String nowMillisSql() {
        return nowMillisSql;
    }

    public static SqlDialect of(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return POSTGRESQL;
        }
        if (product.contains("h2")) {
            return H2;
        }
        return GENERIC;
    }

    public String binaryType() {
        return binaryType;
    }

    public String textType() {
        return textType;
    }

    /** True if {@code INSERT ... ON CONFLICT DO NOTHING} is available. */
    public boolean hasOnConflict() {
        return this == POSTGRESQL;
    }

    /** Unique or primary key violation (SQLState class 23; H2 uses 23505 as well). */
    public static boolean isDuplicateKey(SQLException e) {
        for (SQLException cur = e; cur != null; cur = cur.getNextException()) {
            String state = cur.getSQLState();
            if (state != null && state.startsWith("23")) {
                return true;
            }
            if (cur instanceof java.sql.SQLIntegrityConstraintViolationException) {
                return true;
            }
        }
        return false;
    }
}
