package io.resiliencekit.idempotency;

import io.resiliencekit.spi.IdempotencyGuard;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.Ticker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link IdempotencyGuard} over an {@link IdempotencyStore}: claim, run once, store the
 * outcome; a duplicate gets the stored outcome, a reused key with another payload an
 * {@link IdempotencyMismatchException}. Created by {@link IdempotencyConfig#create}.
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyConfig.builder().memory("orders").build().create(Ticker.system());
 * Receipt r = guard.execute("orders", CallContext.ofKey("orders:b7:ord-1"), () -> api.send(order));
 * }</pre>
 *
 * <p>Stored outcomes are one tag byte and a payload: {@code V} + the codec's bytes of a result,
 * {@code F} + a Java-serialized failure (only with {@code cacheFailures}), {@code U} + the type
 * name of a result the codec could not encode.
 */
public final class DefaultIdempotencyGuard implements IdempotencyGuard {

    private static final Logger LOG = LoggerFactory.getLogger(DefaultIdempotencyGuard.class);
    private static final byte VALUE = 'V';
    private static final byte FAILURE = 'F';
    private static final byte UNSTORABLE = 'U';

    private final IdempotencyConfig config;
    private final IdempotencyStore store;
    private final Ticker ticker;
    private final EventPublisher events;
    private final String holderPrefix;
    private final AtomicLong calls = new AtomicLong();

    public DefaultIdempotencyGuard(IdempotencyConfig config, IdempotencyStore store, Ticker ticker, EventPublisher events) {
        this.config = Objects.requireNonNull(config, "config");
        this.store = Objects.requireNonNull(store, "store");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.events = events == null ? new EventPublisher() : events;
        // Unique per guard instance across JVMs: pid plus randomness (pids repeat across hosts).
        this.holderPrefix = ProcessHandle.current().pid() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    public IdempotencyStore store() {
        return store;
    }

    public EventPublisher events() {
        return events;
    }

    @Override
    public Claim open(String policyName, CallContext context) {
        return new KeyClaim(policyName, context);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T execute(String policyName, CallContext context, CheckedSupplier<T> action) throws Exception {
        if (context == null || context.idempotencyKey() == null) {
            return action.get();
        }
        Claim claim = open(policyName, context);
        for (long r = claim.tryClaim(); r != Claim.CLAIMED; r = claim.tryClaim()) {
            if (r == Claim.DONE) {
                return (T) claim.replay();
            }
            ticker.sleepNanos(r);
        }
        T value;
        try {
            value = action.get();
        } catch (Throwable failure) {
            claim.fail(failure);
            throw failure;
        }
        claim.complete(value);
        return value;
    }

    /** One call's claim: the poll state of a wait for another holder, and the holder name once claimed. */
    private final class KeyClaim implements Claim {
        private final String policyName;
        private final String key;
        private final String fingerprint;
        private final String holder;
        private final long start;
        private long backoff;
        private byte[] outcome;

        KeyClaim(String policyName, CallContext context) {
            this.policyName = policyName;
            this.key = context.idempotencyKey();
            this.fingerprint = context.fingerprint();
            IdempotencyKeys.validate(key);
            this.holder = holderPrefix + "-" + calls.incrementAndGet();
            this.start = ticker.nanoTime();
            this.backoff = config.pollInitial().toNanos();
        }

        @Override
        public long tryClaim() {
            ClaimResult r = store.claim(key, fingerprint, holder, config.hold());
            switch (r.status()) {
                case NEW:
                    return CLAIMED;
                case COMPLETED:
                    publish(policyName, "COMPLETED", key);
                    outcome = r.outcome();
                    return DONE;
                case MISMATCH:
                    throw new IdempotencyMismatchException(policyName, key, r.storedFingerprint(), fingerprint);
                case IN_PROGRESS:
                default:
                    if (config.inProgress() == InProgressMode.FAIL) {
                        publish(policyName, "IN_PROGRESS", key);
                        throw new IdempotencyInProgressException(policyName, key, r.holder(), r.expiresAtEpochMillis(),
                            "in-progress mode is fail");
                    }
                    long maxWaitNanos = config.maxWait().toNanos();
                    long waited = ticker.nanoTime() - start;
                    if (waited >= maxWaitNanos) {
                        publish(policyName, "IN_PROGRESS", key);
                        throw new IdempotencyInProgressException(policyName, key, r.holder(), r.expiresAtEpochMillis(),
                            "gave up waiting after " + Duration.ofNanos(waited).toMillis() + " ms (maxWait)");
                    }
                    // Wait until the next poll, but not past the end of the hold (claim it as soon as it expires).
                    long untilExpiry = Math.max(1_000_000L,
                        (r.expiresAtEpochMillis() - ticker.epochMillis()) * 1_000_000L + 1_000_000L);
                    long sleep = Math.min(Math.min(backoff, untilExpiry), maxWaitNanos - waited);
                    backoff = Math.min(backoff * 2, config.pollMax().toNanos());
                    return Math.max(sleep, 1);
            }
        }

        @Override
        public Object replay() throws Exception {
            return DefaultIdempotencyGuard.this.replay(policyName, key, outcome);
        }

        @Override
        public void complete(Object value) {
            byte[] encoded;
            try {
                encoded = tagged(VALUE, config.outcomeCodec().encode(value));
            } catch (IllegalArgumentException e) {
                // The effect happened: keep the key completed (no second run), but duplicates learn why there is no result.
                LOG.warn("idempotency key '{}' of policy '{}' completed, but its result was not stored: {}", key,
                    policyName, e.getMessage());
                encoded = tagged(UNSTORABLE,
                    (value == null ? "null" : value.getClass().getName()).getBytes(StandardCharsets.UTF_8));
            }
            completeOrWarn(key, holder, encoded);
        }

        @Override
        public void fail(Throwable failure) {
            if (config.cacheFailures() && !(failure instanceof InterruptedException) && !(failure instanceof Error)) {
                completeOrWarn(key, holder, encodeFailure(failure));
            } else {
                releaseQuietly(key, holder, failure);
            }
        }
    }

    private void completeOrWarn(String key, String holder, byte[] outcome) {
        if (!store.complete(key, holder, outcome)) {
            LOG.warn("idempotency key '{}': the hold ({}) expired before the action finished and another caller may "
                + "have run it too; make the hold longer than the action with all its retries", key, config.hold());
        }
    }

    private void releaseQuietly(String key, String holder, Throwable failure) {
        try {
            store.release(key, holder);
        } catch (RuntimeException e) {
            // The hold still expires on its own; keep the action's failure as the one the caller sees.
            failure.addSuppressed(e);
        }
    }

    private Object replay(String policyName, String key, byte[] outcome) throws Exception {
        if (outcome == null || outcome.length == 0) {
            return null;
        }
        byte[] payload = Arrays.copyOfRange(outcome, 1, outcome.length);
        switch (outcome[0]) {
            case VALUE:
                return config.outcomeCodec().decode(payload);
            case FAILURE:
                Throwable t = decodeFailure(payload);
                if (t instanceof Exception) {
                    throw (Exception) t;
                }
                throw (Error) t;
            case UNSTORABLE:
                throw new IdempotencyOutcomeUnavailableException(policyName, key,
                    new String(payload, StandardCharsets.UTF_8));
            default:
                throw new IllegalStateException("stored outcome of key '" + key + "' has unknown tag " + outcome[0]);
        }
    }

    private static byte[] tagged(byte tag, byte[] payload) {
        byte[] out = new byte[payload.length + 1];
        out[0] = tag;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }

    private static byte[] encodeFailure(Throwable failure) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(failure);
        } catch (IOException e) {
            // Not serializable (a field of the exception): keep its class and message instead.
            bytes.reset();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(new IllegalStateException("cached failure " + failure.getClass().getName() + ": "
                    + failure.getMessage()));
            } catch (IOException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        return tagged(FAILURE, bytes.toByteArray());
    }

    private static Throwable decodeFailure(byte[] payload) {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(payload))) {
            return (Throwable) in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            return new IllegalStateException("cached failure could not be read back: " + e, e);
        }
    }

    private void publish(String policyName, String status, String key) {
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.DUPLICATE_SKIPPED, policyName, ticker.epochMillis(), 0,
                Duration.ZERO, status + " " + key, null));
        }
    }

    @Override
    public String toString() {
        return "DefaultIdempotencyGuard{" + store + ", hold=" + config.hold() + ", inProgress=" + config.inProgress() + '}';
    }
}
