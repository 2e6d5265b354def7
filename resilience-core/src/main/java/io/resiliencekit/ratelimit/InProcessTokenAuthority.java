package io.resiliencekit.ratelimit;

import io.resiliencekit.ratelimit.internal.BucketLedger;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.time.Ticker;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A token authority in this JVM's memory: for tests, single-JVM use, and as the engine of remote
 * authorities (the Spark driver hosts one and forwards {@link LeaseRequest}s to it).
 *
 * <pre>{@code
 * InProcessTokenAuthority authority = new InProcessTokenAuthority(Ticker.system());
 * LeasedTokenBucket a = TokenBucket.builder("api").rate(100).buildLeased(authority);
 * LeasedTokenBucket b = TokenBucket.builder("api").rate(100).buildLeased(authority); // shares R with a
 * }</pre>
 *
 * <p>One lock per authority; a request costs a few microseconds.
 */
public final class InProcessTokenAuthority implements TokenAuthority {

    private final Ticker ticker;
    private final Map<String, BucketLedger> buckets = new HashMap<>();

    public InProcessTokenAuthority(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    /**
     * Defines (or redefines) the named bucket's rate and burst: the authority owns them, and clients
     * that declare another rate or burst are refused.
     */
    public synchronized void define(String bucket, double rate, long burst) {
        buckets.computeIfAbsent(bucket, k -> new BucketLedger()).define(rate, burst);
    }

    @Override
    public synchronized LeaseResponse requestLease(LeaseRequest request) {
        BucketLedger ledger = buckets.computeIfAbsent(request.bucket(), k -> new BucketLedger());
        return ledger.grant(request, ticker.nanoTime());
    }

    /** Tokens available in the named bucket right now (without refilling), or -1 if unknown; for tests and metrics. */
    public synchronized double level(String bucket) {
        BucketLedger l = buckets.get(bucket);
        return l == null ? -1 : l.level();
    }

    @Override
    public String toString() {
        return "InProcessTokenAuthority" + buckets.keySet();
    }
}
