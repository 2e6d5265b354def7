package io.resiliencekit.internal;

import io.resiliencekit.config.Secrets;
import io.resiliencekit.config.internal.ScrubbedException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** A plain {@link DataSource} over {@link DriverManager}, for stores and authorities built from a JDBC url; pair it with a pool for real use. */
public final class DriverManagerDataSource implements DataSource {

    private final String url;
    private final String user;
    private final String password;

    public DriverManagerDataSource(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Properties p = new Properties();
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        try {
            return DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            throw scrubbed(e, password);
        }
    }

    @Override
    public Connection getConnection(String username, String pw) throws SQLException {
        try {
            return DriverManager.getConnection(url, username, pw);
        } catch (SQLException e) {
            throw scrubbed(e, pw);
        }
    }

    // DriverManager and drivers quote the URL ("No suitable driver found for jdbc:..."), which may
    // carry credentials; every store, authority and sink on a URL gets its errors through here.
    private SQLException scrubbed(SQLException e, String pw) {
        List<String> known = pw == null ? List.of() : List.of(pw);
        String shown = Secrets.redactUrl(url);
        Throwable t = ScrubbedException.scrubChain(e, m -> Secrets.scrub(m.replace(url, shown), known));
        return t instanceof SQLException ? (SQLException) t : new SQLException(t.getMessage(), e.getSQLState(), t);
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
        DriverManager.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() {
        return DriverManager.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper of " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }

    @Override
    public String toString() {
        return "DriverManagerDataSource{" + Secrets.redactUrl(url) + ", user=" + user + "}"; // never the password
    }
}
