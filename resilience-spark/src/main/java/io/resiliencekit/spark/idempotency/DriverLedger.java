package io.resiliencekit.spark.idempotency;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.idempotency.LedgerMessages.Claim;
import io.resiliencekit.spark.idempotency.LedgerMessages.ClaimReply;
import io.resiliencekit.spark.idempotency.LedgerMessages.Finish;
import io.resiliencekit.time.Ticker;

/**
 * The application's idempotency ledger, hosted on the driver by
 * {@link io.resiliencekit.spark.ResiliencePlugin}: an {@link InMemoryIdempotencyStore} (bounded by
 * {@code spark.resiliencekit.ledger.maxKeys}, completed keys kept for {@code ledger.ttl}) that
 * every executor claims keys in, so a retried task, a speculative twin or a task re-run on
 * another executor finds the key held or done. It lives as long as the application: for keys that
 * must survive job re-runs, use the JDBC store instead.
 *
 * <p>Metrics: {@code ledger.claims}, {@code ledger.hits} (claims answered COMPLETED: duplicates
 * skipped), {@code ledger.inProgress}, {@code ledger.mismatches} (counters), {@code ledger.keys} (gauge).
 *
 * <pre>{@code
 * ResilienceCluster.driverServices().component(DriverLedger.class).orElseThrow().hits(); // on the driver
 * }</pre>
 */
public final class DriverLedger {

    private final InMemoryIdempotencyStore store;
    private final Counter claims;
    private final Counter hits;
    private final Counter inProgress;
    private final Counter mismatches;

    public DriverLedger(PluginOptions options, Ticker ticker, MetricRegistry metrics) {
        Objects.requireNonNull(ticker, "ticker");
        this.store = InMemoryIdempotencyStore.builder()
                .maximumSize(options.ledgerMaxKeys())
                .ttl(options.ledgerTtl())
                .ticker(ticker)
                .build();
        this.claims = metrics.counter("ledger.claims");
        this.hits = metrics.counter("ledger.hits");
        this.inProgress = metrics.counter("ledger.inProgress");
        this.mismatches = metrics.counter("ledger.mismatches");
        metrics.register("ledger.keys", (Gauge<Long>) store::size);
    }

    /** Registers the ledger's services with the plugin; driver code finds it as {@code services.component(DriverLedger.class)}. */
    public static DriverLedger install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverLedger l = new DriverLedger(options, ticker, services.metrics());
        services.register(LedgerMessages.CLAIM, (caller, c) -> l.claim(c));
        services.register(LedgerMessages.FINISH, (caller, f) -> l.finish(f));
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
        return f.complete ? store.complete(f.key, f.holder, f.outcome) : store.release(f.key, f.holder);
    }

    /** Duplicates answered from the ledger so far. */
    public long hits() {
        return hits.getCount();
    }

    public long claims() {
        return claims.getCount();
    }

    /** Keys held or completed (approximate). */
    public long keys() {
        return store.size();
    }

    public Duration ttl() {
        return store.ttl();
    }
}
