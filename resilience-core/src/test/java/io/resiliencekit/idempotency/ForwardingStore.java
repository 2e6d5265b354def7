package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.IdempotencyStoreException;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that forwards to another and can be taken down for a while on a ticker's time: while it
 * is down every call throws {@link IdempotencyStoreException}, as a database that stopped answering
 * does. Tests override single methods to observe or inject.
 */
public class ForwardingStore implements IdempotencyStore {

    final IdempotencyStore target;
    private final Ticker ticker;
    private volatile long downUntilNanos = Long.MIN_VALUE;
    final AtomicInteger refused = new AtomicInteger();

    public ForwardingStore(IdempotencyStore target, Ticker ticker) {
        this.target = target;
        this.ticker = ticker;
    }

    /** Every call fails from now on for {@code outage} of the ticker's time. */
    public void goDownFor(Duration outage) {
        downUntilNanos = ticker.nanoTime() + outage.toNanos();
    }

    private void check(String what) {
        if (ticker.nanoTime() < downUntilNanos) {
            refused.incrementAndGet();
            throw new IdempotencyStoreException(what + " failed: connection refused (store down)", null);
        }
    }

    @Override
    public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
        check("claim");
        return target.claim(key, fingerprint, holder, hold);
    }

    @Override
    public boolean renew(String key, long fencingToken, Duration hold) {
        check("renew");
        return target.renew(key, fencingToken, hold);
    }

    @Override
    public boolean complete(String key, long fencingToken, byte[] outcome) {
        check("complete");
        return target.complete(key, fencingToken, outcome);
    }

    @Override
    public boolean release(String key, long fencingToken) {
        check("release");
        return target.release(key, fencingToken);
    }

    @Override
    public int purgeExpired() {
        return target.purgeExpired();
    }

    @Override
    public Duration ttl() {
        return target.ttl();
    }
}
