package io.resiliencekit.idempotency;

import io.resiliencekit.spi.IdempotencyStore;

import io.resiliencekit.time.Ticker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-JVM registry of idempotency stores: every guard created from configs naming the same
 * store (same memory name, or same JDBC url, user and table) shares one instance, so all tasks of
 * an executor see each other's keys and share one connection pool.
 *
 * <pre>{@code
 * IdempotencyStore store = IdempotencyStores.obtain(config, Ticker.system());
 * IdempotencyStores.closeAll();   // tests, shutdown hooks
 * }</pre>
 *
 * <p>The first config to create a store fixes its ticker.
 */
public final class IdempotencyStores {

    private static final Map<String, IdempotencyStore> STORES = new ConcurrentHashMap<>();

    private IdempotencyStores() {
    }

    /** The store {@code config} names, created on first use in this JVM. */
    public static IdempotencyStore obtain(IdempotencyConfig config, Ticker ticker) {
        return STORES.computeIfAbsent(config.storeId(), id -> create(config, ticker));
    }

    private static IdempotencyStore create(IdempotencyConfig c, Ticker ticker) {
        switch (c.storeKind()) {
            case JDBC:
                return JdbcIdempotencyStore.builder(c.jdbcUrl(), c.jdbcUser(), c.jdbcPassword())
                    .table(c.table())
                    .ttl(c.ttl())
                    .poolSize(c.poolSize())
                    .ticker(ticker)
                    .build();
            case CUSTOM:
                return c.storeFactory().create(ticker);
            default:
                return InMemoryIdempotencyStore.builder().maximumSize(c.maxEntries()).ttl(c.ttl()).ticker(ticker).build();
        }
    }

    /** Closes and forgets every store of this JVM. */
    public static void closeAll() {
        for (String id : STORES.keySet()) {
            IdempotencyStore s = STORES.remove(id);
            if (s != null) {
                s.close();
            }
        }
    }
}
