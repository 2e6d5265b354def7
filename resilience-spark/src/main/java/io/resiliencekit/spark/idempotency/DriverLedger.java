package io.resiliencekit.spark.idempotency;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

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
 * <p>A key held by an executor that the driver learns is gone ({@link #releaseHoldsOf}, called by
 * the plugin when Spark removes the executor) is released at once, so the task re-run elsewhere
 * claims it without waiting for the hold to expire. The key still travels with the call (send it
 * as the {@code Idempotency-Key} header), so an effect the dead JVM made just before it died is
 * deduplicated by the API.
 *
 * <p>Metrics: {@code ledger.claims}, {@code ledger.hits} (claims answered COMPLETED: duplicates
 * skipped), {@code ledger.inProgress}, {@code ledger.mismatches}, {@code ledger.releasedForLostExecutors}
 * (counters), {@code ledger.keys} (gauge).
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
    private final Counter releasedForLost;
    // the keys each executor holds right now (claimed NEW, not finished yet): what to release when it is lost
    private final Map<String, Map<String, String>> holdsByExecutor = new ConcurrentHashMap<>();
    private volatile boolean closed;

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
        this.releasedForLost = metrics.counter("ledger.releasedForLostExecutors");
        metrics.register("ledger.keys", (Gauge<Long>) store::size);
    }

    /** Registers the ledger's services with the plugin; driver code finds it as {@code services.component(DriverLedger.class)}. */
    public static DriverLedger install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverLedger l = new DriverLedger(options, ticker, services.metrics());
        services.register(LedgerMessages.CLAIM, l::claim);
        services.register(LedgerMessages.FINISH, l::finish);
        services.register(LedgerMessages.PURGE, (caller, p) -> l.store.purgeExpired());
        services.attach(DriverLedger.class, l);
        return l;
    }

    /** Closes the ledger (plugin shutdown); later requests fail saying so, instead of finding no hold. */
    public void close() {
        closed = true;
        store.close();
    }

    private void requireOpen() {
        if (closed) {
            // a call that ends while the application stops: its key cannot be recorded, and its hold did not "expire"
            throw new IllegalStateException("the application's idempotency ledger has shut down (the application is stopping)");
        }
    }

    ClaimReply claim(String executor, Claim c) {
        requireOpen();
        claims.inc();
        ClaimResult r = store.claim(c.key, c.fingerprint, c.holder, Duration.ofMillis(c.holdMillis));
        switch (r.status()) {
            case NEW:
                holdsByExecutor.computeIfAbsent(executor, e -> new ConcurrentHashMap<>()).put(c.key, c.holder);
                break;
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

    Boolean finish(String executor, Finish f) {
        requireOpen();
        Map<String, String> held = holdsByExecutor.get(executor);
        if (held != null) {
            held.remove(f.key, f.holder);
        }
        return f.complete ? store.complete(f.key, f.holder, f.outcome) : store.release(f.key, f.holder);
    }

    /**
     * Releases every key {@code executorId} holds: it is gone (Spark removed it), so its calls will
     * never complete them, and the tasks re-run elsewhere need them now, not when the holds expire.
     *
     * @return how many keys were released (a key completed or taken over meanwhile is left alone)
     */
    public int releaseHoldsOf(String executorId) {
        Map<String, String> held = holdsByExecutor.remove(executorId);
        if (held == null) {
            return 0;
        }
        int n = 0;
        for (Map.Entry<String, String> e : held.entrySet()) {
            if (store.release(e.getKey(), e.getValue())) {
                n++;
            }
        }
        releasedForLost.inc(n);
        return n;
    }

    /** Keys released because the executor holding them was lost. */
    public long releasedForLostExecutors() {
        return releasedForLost.getCount();
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
