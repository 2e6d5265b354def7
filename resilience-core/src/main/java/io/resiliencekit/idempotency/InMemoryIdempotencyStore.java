package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;

/**
 * An {@link IdempotencyStore} in this JVM's memory (Caffeine): bounded, with TTL. Right for one
 * JVM (tests, a single-machine job, deduplicating within one executor); use
 * {@link JdbcIdempotencyStore} when several JVMs or job re-runs must agree.
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.builder()
 *     .maximumSize(1_000_000)
 *     .ttl(Duration.ofHours(24))
 *     .ticker(ticker)
 *     .build();
 * }</pre>
 *
 * <p>When the size bound is reached Caffeine evicts the least useful entries; an evicted key is
 * claimable again, so size the bound above the number of keys one run produces.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    private static final class Entry {
        final String fingerprint;
        final String holder;          // null when completed
        final long expiresAtMillis;   // end of the hold, or end of the TTL when completed
        final byte[] outcome;
        final long retainNanos;

        Entry(String fingerprint, String holder, long expiresAtMillis, byte[] outcome, long retainNanos) {
            this.fingerprint = fingerprint;
            this.holder = holder;
            this.expiresAtMillis = expiresAtMillis;
            this.outcome = outcome;
            this.retainNanos = retainNanos;
        }

        boolean completed() {
            return holder == null;
        }
    }

    private final Ticker ticker;
    private final Duration ttl;
    private final long ttlMillis;
    private final ConcurrentMap<String, Entry> map;
    private final Cache<String, Entry> cache;

    private InMemoryIdempotencyStore(Builder b) {
        this.ticker = b.ticker;
        this.ttl = b.ttl;
        this.ttlMillis = b.ttl.toMillis();
        this.cache = Caffeine.newBuilder()
            .maximumSize(b.maximumSize)
            .ticker(b.ticker::nanoTime)
            .expireAfter(new Expiry<String, Entry>() {
                @Override
                public long expireAfterCreate(String key, Entry value, long currentTime) {
                    return value.retainNanos;
                }

                @Override
                public long expireAfterUpdate(String key, Entry value, long currentTime, long currentDuration) {
                    return value.retainNanos;
                }

                @Override
                public long expireAfterRead(String key, Entry value, long currentTime, long currentDuration) {
                    return currentDuration;
                }
            })
            .build();
        this.map = cache.asMap();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
        IdempotencyKeys.validate(key);
        Objects.requireNonNull(holder, "holder");
        long holdMillis = hold.toMillis();
        ClaimResult[] result = new ClaimResult[1];
        map.compute(key, (k, cur) -> {
            long now = ticker.epochMillis();
            if (cur != null && cur.completed() && cur.expiresAtMillis <= now) {
                cur = null; // outlived its TTL: as if never seen
            }
            if (cur != null) {
                if (fingerprint != null && cur.fingerprint != null && !fingerprint.equals(cur.fingerprint)) {
                    result[0] = ClaimResult.mismatch(cur.fingerprint);
                    return cur;
                }
                if (cur.completed()) {
                    result[0] = ClaimResult.completed(cur.outcome);
                    return cur;
                }
                if (cur.expiresAtMillis > now && !cur.holder.equals(holder)) {
                    result[0] = ClaimResult.inProgress(cur.holder, cur.expiresAtMillis);
                    return cur;
                }
                // expired hold (crashed holder) or a re-claim by the same holder: take it over
            }
            result[0] = ClaimResult.claimed();
            String fp = fingerprint != null ? fingerprint : cur == null ? null : cur.fingerprint;
            return new Entry(fp, holder, now + holdMillis, null, (holdMillis + ttlMillis) * 1_000_000L);
        });
        return result[0];
    }

    @Override
    public boolean complete(String key, String holder, byte[] outcome) {
        boolean[] done = new boolean[1];
        map.computeIfPresent(key, (k, cur) -> {
            if (cur.completed() || !cur.holder.equals(holder)) {
                return cur;
            }
            done[0] = true;
            return new Entry(cur.fingerprint, null, ticker.epochMillis() + ttlMillis, outcome, ttlMillis * 1_000_000L);
        });
        return done[0];
    }

    @Override
    public boolean release(String key, String holder) {
        boolean[] done = new boolean[1];
        map.computeIfPresent(key, (k, cur) -> {
            if (!cur.completed() && cur.holder.equals(holder)) {
                done[0] = true;
                return null;
            }
            return cur;
        });
        return done[0];
    }

    @Override
    public int purgeExpired() {
        long now = ticker.epochMillis();
        int[] n = new int[1];
        for (String key : map.keySet()) {
            map.computeIfPresent(key, (k, cur) -> {
                boolean dead = cur.completed() ? cur.expiresAtMillis <= now : cur.expiresAtMillis + ttlMillis <= now;
                if (dead) {
                    n[0]++;
                    return null;
                }
                return cur;
            });
        }
        cache.cleanUp();
        return n[0];
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    /** Approximate number of keys held (in progress or completed). */
    public long size() {
        return cache.estimatedSize();
    }

    @Override
    public String toString() {
        return "InMemoryIdempotencyStore{ttl=" + ttl + ", size~" + cache.estimatedSize() + '}';
    }

    /** Builds an {@link InMemoryIdempotencyStore}. */
    public static final class Builder {
        private long maximumSize = 1_000_000;
        private Duration ttl = Duration.ofHours(24);
        private Ticker ticker = Ticker.system();

        public Builder maximumSize(long maximumSize) {
            if (maximumSize < 1) {
                throw new IllegalArgumentException("maximumSize must be at least 1, was " + maximumSize);
            }
            this.maximumSize = maximumSize;
            return this;
        }

        /** How long completed keys are remembered (default 24 h). */
        public Builder ttl(Duration ttl) {
            if (ttl == null || ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("ttl must be positive, was " + ttl);
            }
            this.ttl = ttl;
            return this;
        }

        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        public InMemoryIdempotencyStore build() {
            return new InMemoryIdempotencyStore(this);
        }
    }
}
