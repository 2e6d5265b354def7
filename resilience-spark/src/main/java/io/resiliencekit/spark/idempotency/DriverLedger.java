package io.resiliencekit.spark.idempotency;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.idempotency.JdbcIdempotencyStore;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.idempotency.LedgerMessages.Claim;
import io.resiliencekit.spark.idempotency.LedgerMessages.ClaimReply;
import io.resiliencekit.spark.idempotency.LedgerMessages.Finish;
import io.resiliencekit.time.Ticker;

/**
 * The application's idempotency ledger, hosted on the driver by
 * {@link io.resiliencekit.spark.ResiliencePlugin}, that every executor claims keys in, so a retried
 * task, a speculative twin or a task re-run on another executor finds the key held or done. By
 * default an {@link InMemoryIdempotencyStore} (bounded by {@code spark.resiliencekit.ledger.maxKeys},
 * completed keys kept for {@code ledger.ttl}) that lives as long as the application, on the driver's
 * clock. With {@code spark.resiliencekit.ledger.location} set it is a {@link JdbcIdempotencyStore}
 * (an embedded H2 file at that path, or the database of that JDBC url) on the database's clock, so a
 * re-run of the same run id (a backfill, a job resubmitted after a driver crash) skips every key an
 * earlier application completed.
 *
 * <p>Metrics: {@code ledger.claims}, {@code ledger.hits} (claims answered COMPLETED: duplicates
 * skipped), {@code ledger.inProgress}, {@code ledger.mismatches} (counters), {@code ledger.keys} (gauge).
 *
 * <pre>{@code
 * ResilienceCluster.driverServices().component(DriverLedger.class).orElseThrow().hits(); // on the driver
 * }</pre>
 */
public final class DriverLedger {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DriverLedger.class);

    /** The table of a persistent ledger. */
    public static final String TABLE = "resiliencekit_ledger";

    private final IdempotencyStore store;
    private final Counter claims;
    private final Counter hits;
    private final Counter inProgress;
    private final Counter mismatches;

    public DriverLedger(PluginOptions options, Ticker ticker, MetricRegistry metrics) {
        Objects.requireNonNull(ticker, "ticker");
        this.store = options.ledgerJdbcUrl()
                .<IdempotencyStore>map(url -> JdbcIdempotencyStore.builder(url, null, null).table(TABLE)
                        .ttl(options.ledgerTtl()).ticker(ticker).build())
                .orElseGet(() -> InMemoryIdempotencyStore.builder()
                        .maximumSize(options.ledgerMaxKeys())
                        .ttl(options.ledgerTtl())
                        .ticker(ticker)
                        .build());
        if (store instanceof JdbcIdempotencyStore && !options.ledgerLocation().orElse("").startsWith("jdbc:")) {
            // an embedded file is this driver's alone (H2 locks it): holds in it are a dead application's
            int released = ((JdbcIdempotencyStore) store).releaseEveryHold();
            if (released > 0) {
                LOG.info("idempotency ledger: released {} hold(s) left by an earlier application", released);
            }
        }
        this.claims = metrics.counter("ledger.claims");
        this.hits = metrics.counter("ledger.hits");
        this.inProgress = metrics.counter("ledger.inProgress");
        this.mismatches = metrics.counter("ledger.mismatches");
        metrics.register("ledger.keys", (Gauge<Long>) this::keys);
    }

    /** Registers the ledger's services with the plugin; driver code finds it as {@code services.component(DriverLedger.class)}. */
    public static DriverLedger install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverLedger l = new DriverLedger(options, ticker, services.metrics());
        services.register(LedgerMessages.CLAIM, (caller, c) -> l.claim(c));
        services.register(LedgerMessages.FINISH, (caller, f) -> l.finish(f));
        services.register(LedgerMessages.RENEW, (caller, r) -> l.store.renew(r.key, r.fencingToken,
                Duration.ofMillis(r.holdMillis)));
        services.register(LedgerMessages.PURGE, (caller, p) -> l.store.purgeExpired());
        services.attach(DriverLedger.class, l);
        return l;
    }

    /** Closes the ledger (plugin shutdown). */
    public void close() {
        store.close();
    }

    ClaimReply claim(Claim c) {
        claims.inc();
        ClaimResult r = store.claim(c.key, c.fingerprint, c.holder, Duration.ofMillis(c.holdMillis));
        switch (r.status()) {
            case COMPLETED:
                hits.inc();
                break;
            case IN_PROGRESS:
                inProgress.inc();
                break;
            case MISMATCH:
                mismatches.inc();
                break;
            default:
                break;
        }
        return new ClaimReply(r);
    }

    Boolean finish(Finish f) {
        return f.complete ? store.complete(f.key, f.fencingToken, f.outcome) : store.release(f.key, f.fencingToken);
    }

    /** Duplicates answered from the ledger so far. */
    public long hits() {
        return hits.getCount();
    }

    public long claims() {
        return claims.getCount();
    }

    /** Keys held or completed (approximate) of the in-memory ledger; -1 for a persistent one (its table knows). */
    public long keys() {
        return store instanceof InMemoryIdempotencyStore ? ((InMemoryIdempotencyStore) store).size() : -1L;
    }

    /** True if the ledger outlives the application (spark.resiliencekit.ledger.location). */
    public boolean persistent() {
        return store instanceof JdbcIdempotencyStore;
    }

    public Duration ttl() {
        return store.ttl();
    }
}
