package io.resiliencekit.spark.sink.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.spark.sink.SinkOptions;
import java.io.Closeable;
import java.util.List;
import java.util.function.Supplier;
import javax.sql.DataSource;

/** One connection pool per JVM per database, user and size, owned by the shared runtime (closed with it). */
final class JdbcPools {

    private JdbcPools() {
    }

    static DataSource dataSource(SinkOptions o) {
        if (o.jdbcDataSourceFactory() != null) {
            return ResilienceRuntime.shared().share("jdbc sink data source", o.jdbcDataSourceFactory(),
                o.jdbcDataSourceFactory(), JdbcPools::fromFactory);
        }
        // the spec holds the password: compared, never shown (the runtime names the pool by its redacted URL)
        List<Object> spec = List.of(o.jdbcUrl(), String.valueOf(o.jdbcUser()), String.valueOf(o.jdbcPassword()), o.jdbcPoolSize());
        String name = io.resiliencekit.config.Secrets.redactUrl(o.jdbcUrl()) + " as " + o.jdbcUser() + " x" + o.jdbcPoolSize();
        Pool pool = ResilienceRuntime.shared().share("jdbc sink pool", name, new PoolSpec(spec, o), PoolSpec::open);
        return pool.dataSource;
    }

    private static DataSource fromFactory(String className) {
        try {
            Object f = Class.forName(className, true, Thread.currentThread().getContextClassLoader())
                .getDeclaredConstructor().newInstance();
            if (!(f instanceof Supplier<?> s) || !(s.get() instanceof DataSource ds)) {
                throw new IllegalArgumentException("jdbc.dataSourceFactory: " + className
                    + " must implement java.util.function.Supplier<javax.sql.DataSource>");
            }
            return ds;
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("jdbc.dataSourceFactory: cannot create " + className + ": " + e, e);
        }
    }

    /** Equal when the connection settings are; toString shows no password. */
    private record PoolSpec(List<Object> settings, SinkOptions options) {
        Pool open() {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(options.jdbcUrl());
            c.setUsername(options.jdbcUser());
            c.setPassword(options.jdbcPassword());
            c.setMaximumPoolSize(options.jdbcPoolSize());
            c.setMinimumIdle(0);
            c.setPoolName("resilient-sink");
            // the health check reports a refused first connection itself, in words
            c.setInitializationFailTimeout(-1);
            c.setConnectionTimeout(10_000);
            return new Pool(new HikariDataSource(c));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PoolSpec p && settings.equals(p.settings);
        }

        @Override
        public int hashCode() {
            return settings.hashCode();
        }

        @Override
        public String toString() {
            return io.resiliencekit.config.Secrets.redactUrl(options.jdbcUrl()) + " as " + options.jdbcUser();
        }
    }

    /** Closed by the runtime when it is closed or rebound. */
    private record Pool(HikariDataSource dataSource) implements Closeable {
        @Override
        public void close() {
            dataSource.close();
        }
    }
}
