package io.resiliencekit.spark.idempotency;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DriverLedger.class);

    /** The table of a persistent ledger. */
    public static final String TABLE = "resiliencekit_ledger";

    private final IdempotencyStore store;
    private final Counter claims;
    private final Counter hits;
    private final Counter inProgress;
    private final Counter mismatches;
    private final Counter releasedForLost;
    // the keys each executor holds right now (claimed NEW, not finished yet) with their fencing tokens:
    // what to release when it is lost
    private final Map<String, Map<String, Long>> holdsByExecutor = new ConcurrentHashMap<>();
    private volatile boolean closed;

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
        this.releasedForLost = metrics.counter("ledger.releasedForLostExecutors");
        metrics.register("ledger.keys", (Gauge<Long>) this::keys);
    }

    /** Registers the ledger's services with the plugin; driver code finds it as {@code services.component(DriverLedger.class)}. */
    public static DriverLedger install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverLedger l = new DriverLedger(options, ticker, services.metrics());
        services.register(LedgerMessages.CLAIM, l::claim);
        services.register(LedgerMessages.FINISH, l::finish);
        services.register(LedgerMessages.RENEW, (caller, r) -> {
            l.requireOpen();
            return l.store.renew(r.key, r.fencingToken, Duration.ofMillis(r.holdMillis));
        });
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
                holdsByExecutor.computeIfAbsent(executor, e -> new ConcurrentHashMap<>()).put(c.key, r.fencingToken());
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
        Map<String, Long> held = holdsByExecutor.get(executor);
        if (held != null) {
            held.remove(f.key, f.fencingToken);
        }
        return f.complete ? store.complete(f.key, f.fencingToken, f.outcome) : store.release(f.key, f.fencingToken);
    }

    /**
     * Releases every key {@code executorId} holds: it is gone (Spark removed it), so its calls will
     * never complete them, and the tasks re-run elsewhere need them now, not when the holds expire.
     *
     * @return how many keys were released (a key completed or taken over meanwhile is left alone:
     *         its fencing token no longer matches)
     */
    public int releaseHoldsOf(String executorId) {
        Map<String, Long> held = holdsByExecutor.remove(executorId);
        if (held == null) {
            return 0;
        }
        int n = 0;
        for (Map.Entry<String, Long> e : held.entrySet()) {
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
