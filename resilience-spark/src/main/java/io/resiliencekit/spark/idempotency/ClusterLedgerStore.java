package io.resiliencekit.spark.idempotency;

import java.time.Duration;
import java.util.Optional;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.IdempotencyStoreException;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.spark.ClusterCoordinationException;
import io.resiliencekit.spark.ClusterCoordinator;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.time.Ticker;

/**
 * An {@link IdempotencyStore} that is the application's ledger on the driver
 * ({@link DriverLedger}), reached over the plugin's RPC: every claim is one round trip to the
 * driver, so all executors agree on each key. Without the plugin it is a per-JVM in-memory store
 * (after one warning).
 *
 * <pre>{@code
 * IdempotencyConfig idem = IdempotencyConfig.builder()
 *     .store("app-ledger", ClusterLedgerStore.factory())
 *     .hold(Duration.ofMinutes(2))
 *     .build();
 * ResiliencePolicy policy = ResiliencePolicy.builder("orders-api").idempotency(idem).build();
 * }</pre>
 */
public final class ClusterLedgerStore implements IdempotencyStore {

    private final Ticker ticker;
    private final java.util.function.Supplier<Optional<ClusterCoordinator>> coordinators;
    private volatile InMemoryIdempotencyStore local;

    ClusterLedgerStore(Ticker ticker) {
        // resolved per call: a new SparkContext in this JVM (local-mode tests) brings a new coordinator
        this(ticker, () -> ResilienceCluster.coordinatorOrWarn("idempotency ledger"));
    }

    ClusterLedgerStore(Ticker ticker, java.util.function.Supplier<Optional<ClusterCoordinator>> coordinators) {
        this.ticker = ticker;
        this.coordinators = coordinators;
    }

    /** The serializable factory to give {@code IdempotencyConfig.Builder#store(name, factory)}. */
    public static IdempotencyConfig.StoreFactory factory() {
        return ClusterLedgerStore::new;
    }

    @Override
    public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
        Optional<ClusterCoordinator> c = coordinator();
        if (c.isEmpty()) {
            return local().claim(key, fingerprint, holder, hold);
        }
        try {
            return c.get().ask(LedgerMessages.CLAIM, new LedgerMessages.Claim(key, fingerprint, holder, hold.toMillis())).toResult();
        } catch (ClusterCoordinationException e) {
            throw new IdempotencyStoreException("idempotency ledger on the driver failed to claim a key: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean complete(String key, String holder, byte[] outcome) {
        return finish(key, holder, true, outcome);
    }

    @Override
    public boolean release(String key, String holder) {
        return finish(key, holder, false, null);
    }

    @Override
    public int purgeExpired() {
        Optional<ClusterCoordinator> c = coordinator();
        if (c.isEmpty()) {
            return local().purgeExpired();
        }
        try {
            return c.get().ask(LedgerMessages.PURGE, new LedgerMessages.Purge());
        } catch (ClusterCoordinationException e) {
            throw new IdempotencyStoreException("idempotency ledger on the driver failed to purge: " + e.getMessage(), e);
        }
    }

    @Override
    public Duration ttl() {
        return ResilienceCluster.options().ledgerTtl();
    }

    private boolean finish(String key, String holder, boolean complete, byte[] outcome) {
        Optional<ClusterCoordinator> c = coordinator();
        if (c.isEmpty()) {
            return complete ? local().complete(key, holder, outcome) : local().release(key, holder);
        }
        try {
            return c.get().ask(LedgerMessages.FINISH, new LedgerMessages.Finish(key, holder, complete, outcome));
        } catch (ClusterCoordinationException e) {
            throw new IdempotencyStoreException("idempotency ledger on the driver failed to "
                    + (complete ? "complete" : "release") + " a key: " + e.getMessage(), e);
        }
    }

    private Optional<ClusterCoordinator> coordinator() {
        return coordinators.get();
    }

    private InMemoryIdempotencyStore local() {
        InMemoryIdempotencyStore l = local;
        if (l == null) {
            synchronized (this) {
                l = local;
                if (l == null) {
                    l = InMemoryIdempotencyStore.builder().ttl(ResilienceCluster.options().ledgerTtl())
                            .maximumSize(ResilienceCluster.options().ledgerMaxKeys()).ticker(ticker).build();
                    local = l;
                }
            }
        }
        return l;
    }

    @Override
    public String toString() {
        return "ClusterLedgerStore[" + (ResilienceCluster.isPluginActive() ? "driver ledger" : "local fallback") + "]";
    }
}
