package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import io.resiliencekit.time.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link IdempotencyStore} in this JVM's memory (Caffeine): bounded, with TTL. Right for one
 * JVM (tests, a single-machine job, deduplicating within one executor, the Spark driver's ledger);
 * use {@link JdbcIdempotencyStore} when several JVMs or job re-runs must agree.
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.builder()
 *     .maximumSize(1_000_000)
 *     .ttl(Duration.ofHours(24))
 *     .ticker(ticker)
 *     .build();
 * }</pre>
 *
 * <p>Its one clock is its ticker's monotonic time. Each key maps to one entry for as long as the
 * cache keeps it; the entry's state (held, done, gone) is replaced by compare-and-set. A claim keeps
 * the entry a TTL past its hold; a completion sets the cache's expiry to the end of the key's TTL, so
 * the cache's lookup (which checks that expiry) is a duplicate's whole TTL check: a duplicate's claim
 * is one cache read, with no lock, no allocation and no clock read besides the cache's. When the size
 * bound is reached Caffeine evicts the least useful entries; an evicted key is claimable again, so
 * size the bound above the number of keys one run produces.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    private static final int HELD = 0;
    private static final int DONE = 1;
    private static final int GONE = 2;

    /** What a key is now: never changed, replaced as a whole. */
    private static final class State {
        final int kind;
        final long token;
        final String holder;
        final String fingerprint;
        final long untilNanos;      // HELD: end of the hold; DONE: end of the TTL
        final ClaimResult answer;   // DONE: what every duplicate gets, made once

        State(int kind, long token, String holder, String fingerprint, long untilNanos, ClaimResult answer) {
            this.kind = kind;
            this.token = token;
            this.holder = holder;
            this.fingerprint = fingerprint;
            this.untilNanos = untilNanos;
            this.answer = answer;
        }
    }

    /** The one object a key maps to while the cache keeps it. */
    private static final class Entry {
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Entry.class, "state", State.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        volatile State state;
        // until when the cache keeps this entry (as last told): a completion extends it only when it must
        volatile long retainUntilNanos;

        Entry(State state, long retainUntilNanos) {
            this.state = state;
            this.retainUntilNanos = retainUntilNanos;
        }

        boolean replace(State expected, State next) {
            return STATE.compareAndSet(this, expected, next);
        }
    }

    private final Ticker ticker;
    private final Duration ttl;
    private final long ttlNanos;
    private final ConcurrentMap<String, Entry> map;
    private final Cache<String, Entry> cache;
    private final Policy<String, Entry> policy;
    private final AtomicLong tokens = new AtomicLong();
    private final State gone = new State(GONE, 0L, null, null, 0L, null);

    private InMemoryIdempotencyStore(Builder b) {
        this.ticker = b.ticker;
        this.ttl = b.ttl;
        this.ttlNanos = b.ttl.toNanos();
        this.cache = Caffeine.newBuilder()
            .maximumSize(b.maximumSize)
            .ticker(b.ticker::nanoTime)
            .expireAfter(new Expiry<String, Entry>() {
                @Override
                public long expireAfterCreate(String key, Entry value, long currentTime) {
                    return retainNanos(value.state, currentTime);
                }

                @Override
                public long expireAfterUpdate(String key, Entry value, long currentTime, long currentDuration) {
                    return retainNanos(value.state, currentTime);
                }

                @Override
                public long expireAfterRead(String key, Entry value, long currentTime, long currentDuration) {
                    return currentDuration;
                }
            })
            .build();
        this.map = cache.asMap();
        this.policy = cache.policy();
    }

    /** How long the cache keeps an entry: a completed key at least for its TTL, a held one a TTL past its hold. */
    private long retainNanos(State s, long now) {
        switch (s.kind) {
            case DONE:
                return Math.max(0L, s.untilNanos - now);
            case HELD:
                // an expired hold still answers MISMATCH to another payload: keep it a TTL longer
                return Math.max(0L, s.untilNanos - now) + ttlNanos;
            default:
                return 0L;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /*
     * A key's entry, read without telling the cache's eviction policy (no read-buffer write, no
     * expireAfterRead): a duplicate costs a hash lookup. Eviction is for a bound sized too small, and
     * then a key's writes (claim, completion) are what mark it used.
     */
    private Entry entry(String key) {
        return policy.getIfPresentQuietly(key);
    }

    @Override
    public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
        // A key found here was validated when it was first claimed (only claim inserts): a duplicate skips the check.
        Entry e = key == null ? null : entry(key);
        if (e == null) {
            IdempotencyKeys.validate(key);
        }
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(hold, "hold");
        for (;; e = entry(key)) {
            if (e == null) {
                long token = tokens.incrementAndGet();
                long until = ticker.nanoTime() + hold.toNanos();
                Entry fresh = new Entry(new State(HELD, token, holder, fingerprint, until, null), until + ttlNanos);
                e = map.putIfAbsent(key, fresh);
                if (e == null) {
                    return ClaimResult.claimed(token);
                }
            }
            State s = e.state;
            if (s.kind == GONE) {
                map.remove(key, e); // being removed: finish that, then claim afresh
                continue;
            }
            if (s.kind == DONE) {
                // The cache keeps a completed key until the end of its TTL and no longer (see complete), and its
                // lookup checks that expiry: found means remembered, with no clock read of our own.
                if (fingerprint != null && s.fingerprint != null && !fingerprint.equals(s.fingerprint)) {
                    return ClaimResult.mismatch(s.fingerprint);
                }
                return s.answer; // made once at completion: a duplicate allocates nothing
            }
            if (fingerprint != null && s.fingerprint != null && !fingerprint.equals(s.fingerprint)) {
                return ClaimResult.mismatch(s.fingerprint);
            }
            long now = ticker.nanoTime();
            long left = s.untilNanos - now;
            if (left > 0 && !s.holder.equals(holder)) {
                long leftMillis = TimeUnit.NANOSECONDS.toMillis(left);
                return ClaimResult.inProgress(s.holder, ticker.epochMillis() + leftMillis, leftMillis);
            }
            // expired hold (its holder crashed or was paused) or a re-claim by the same holder: take it over
            long holdNanos = hold.toNanos();
            State next = new State(HELD, tokens.incrementAndGet(), holder, fingerprint != null ? fingerprint : s.fingerprint,
                now + holdNanos, null);
            if (e.replace(s, next)) {
                retain(key, e, now + holdNanos + ttlNanos);
                return ClaimResult.claimed(next.token);
            }
        }
    }

    /**
     * Keeps a held entry in the cache at least until {@code untilNanos} (a cache write: only when it must).
     * See {@link #reExpire}: a renewal that comes just after its holder's completion keeps the completion's
     * expiry, since the expiry is always derived from the entry's state of that moment.
     */
    private void retain(String key, Entry e, long untilNanos) {
        if (untilNanos > e.retainUntilNanos) {
            reExpire(key, e);
            e.retainUntilNanos = untilNanos;
        }
    }

    /**
     * Has the cache derive {@code e}'s expiry again from its state ({@link #retainNanos}, on the cache's
     * clock), if {@code e} is still the key's entry. A replace of the entry by itself is a cache update
     * (Caffeine calls {@code expireAfterUpdate}) under the entry's lock, so two of them for one key never
     * interleave; and an entry that has meanwhile been evicted and replaced by another holder's is left
     * alone (a write by key would cut that holder's retention to this one's).
     */
    private void reExpire(String key, Entry e) {
        map.replace(key, e, e);
    }

    /** The entry whose current hold has {@code token}, and that state; null if the token does not hold the key. */
    private State held(Entry e, long token) {
        if (e == null) {
            return null;
        }
        State s = e.state;
        return s.kind == HELD && s.token == token ? s : null;
    }

    @Override
    public boolean renew(String key, long fencingToken, Duration hold) {
        long holdNanos = hold.toNanos();
        for (;;) {
            Entry e = entry(key);
            State s = held(e, fencingToken);
            if (s == null) {
                return false;
            }
            State next = new State(HELD, s.token, s.holder, s.fingerprint, ticker.nanoTime() + holdNanos, null);
            if (e.replace(s, next)) {
                retain(key, e, next.untilNanos + ttlNanos);
                return true;
            }
        }
    }

    @Override
    public boolean complete(String key, long fencingToken, byte[] outcome) {
        for (;;) {
            Entry e = entry(key);
            State s = held(e, fencingToken);
            if (s == null) {
                return false;
            }
            State done = new State(DONE, s.token, null, s.fingerprint, ticker.nanoTime() + ttlNanos,
                ClaimResult.completed(outcome));
            if (e.replace(s, done)) {
                // The cache now keeps the key until the end of its TTL, no longer (the claim kept it a TTL past
                // its hold): a duplicate's claim takes the cache's lookup, which checks this expiry, as the TTL check.
                reExpire(key, e);
                e.retainUntilNanos = done.untilNanos;
                return true;
            }
        }
    }

    @Override
    public boolean release(String key, long fencingToken) {
        for (;;) {
            Entry e = entry(key);
            State s = held(e, fencingToken);
            if (s == null) {
                return false;
            }
            if (e.replace(s, gone)) {
                map.remove(key, e);
                return true;
            }
        }
    }

    @Override
    public int purgeExpired() {
        long now = ticker.nanoTime();
        int n = 0;
        for (Map.Entry<String, Entry> me : map.entrySet()) {
            Entry e = me.getValue();
            State s = e.state;
            boolean dead = s.kind == GONE || (s.kind == DONE ? s.untilNanos <= now : s.untilNanos + ttlNanos <= now);
            if (dead && (s.kind == GONE || e.replace(s, gone)) && map.remove(me.getKey(), e)) {
                n++;
            }
        }
        cache.cleanUp();
        return n;
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
