package io.resiliencekit.spark.idempotency;

import java.time.Duration;

import io.resiliencekit.config.Secrets;
import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.IdempotencyStoreException;

/**
 * An {@link IdempotencyStore} that is the application's ledger on the driver ({@link DriverLedger}),
 * reached over the plugin's RPC: every claim is one round trip to the driver, so all executors
 * agree on each key (the claims and completions that wait at the same time share one message,
 * {@link ClusterCoordinator#askGrouped}), and every hold is measured by the driver's clock (a renewal is one more round
 * trip per third of the hold). It is the ledger of the Spark application as a cluster: every policy with an
 * idempotency store of kind {@code auto} (the default) or {@code cluster} uses it when the plugin runs.
 *
 * <pre>{@code
 * IdempotencyConfig idem = IdempotencyConfig.builder().hold(Duration.ofMinutes(2)).build(); // store auto
 * ResiliencePolicy policy = ResilienceCluster.policy(ResiliencePolicy.builder("orders-api").idempotency(idem).config());
 * }</pre>
 */
public final class ClusterLedgerStore implements IdempotencyStore {

    private final ClusterCoordinator coordinator;
    private final Duration ttl;

    public ClusterLedgerStore(ClusterCoordinator coordinator, Duration ttl) {
        this.coordinator = coordinator;
        this.ttl = ttl;
    }

    @Override
    public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
        try {
            return coordinator.askGrouped(LedgerMessages.CLAIM, new LedgerMessages.Claim(key, fingerprint, holder, hold.toMillis()))
                    .toResult();
        } catch (ClusterCoordinationException e) {
            throw failed("claim a key", e);
        }
    }

    @Override
    public boolean renew(String key, long fencingToken, Duration hold) {
        try {
            return coordinator.ask(LedgerMessages.RENEW, new LedgerMessages.Renew(key, fencingToken, hold.toMillis()));
        } catch (ClusterCoordinationException e) {
            throw failed("renew a hold", e);
        }
    }

    @Override
    public boolean complete(String key, long fencingToken, byte[] outcome) {
        return finish(key, fencingToken, true, outcome);
    }

    @Override
    public boolean release(String key, long fencingToken) {
        return finish(key, fencingToken, false, null);
    }

    @Override
    public int purgeExpired() {
        try {
            return coordinator.ask(LedgerMessages.PURGE, new LedgerMessages.Purge());
        } catch (ClusterCoordinationException e) {
            throw failed("purge", e);
        }
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    private boolean finish(String key, long fencingToken, boolean complete, byte[] outcome) {
        try {
            return coordinator.askGrouped(LedgerMessages.FINISH, new LedgerMessages.Finish(key, fencingToken, complete, outcome));
        } catch (ClusterCoordinationException e) {
            throw failed(complete ? "complete a key" : "release a key", e);
        }
    }

    // the driver's answer may quote its database's error (a persistent ledger's JDBC url): scrubbed
    private static IdempotencyStoreException failed(String what, ClusterCoordinationException e) {
        return new IdempotencyStoreException("idempotency ledger on the driver failed to " + what + ": "
                + Secrets.scrub(e.getMessage()), Secrets.scrubbed(e));
    }

    @Override
    public String toString() {
        return "ClusterLedgerStore[driver ledger, executor " + coordinator.executorId() + "]";
    }
}
