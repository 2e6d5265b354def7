package io.resiliencekit.idempotency.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** The few SQL differences that matter here: conflict-free insert and the binary column type. */
public enum SqlDialect {
    POSTGRESQL("BYTEA", "TEXT"),
    H2("VARBINARY", "CHARACTER LARGE OBJECT"),
    GENERIC("BLOB", "CLOB");

    private final String binaryType;
    private final String textType;

    SqlDialect(String binaryType, String textType) {
        this.binaryType = binaryType;
        this.textType = textType;
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
