package io.resiliencekit.idempotency;

import io.resiliencekit.spi.IdempotencyGuard;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.idempotency.internal.HoldKeeper;
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
    private final HoldKeeper keeper;
    private final String holderPrefix;
    private final AtomicLong calls = new AtomicLong();

    /** A guard whose holds are kept alive by background threads of its own (started when needed). */
    public DefaultIdempotencyGuard(IdempotencyConfig config, IdempotencyStore store, Ticker ticker, EventPublisher events) {
        this(config, store, ticker, events, HoldKeeper.daemon());
    }

    DefaultIdempotencyGuard(IdempotencyConfig config, IdempotencyStore store, Ticker ticker, EventPublisher events,
                            HoldKeeper keeper) {
        this.config = Objects.requireNonNull(config, "config");
        this.store = Objects.requireNonNull(store, "store");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.events = events == null ? new EventPublisher() : events;
        this.keeper = Objects.requireNonNull(keeper, "keeper");
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
            claim.checkHeld();
            value = action.get();
        } catch (Throwable failure) {
            claim.fail(failure);
            throw failure;
        }
        claim.complete(value);
        return value;
    }

    // Phases of a claim once the store said NEW; the keeper thread and the calling thread both move it.
    private static final int P_WAITING = 0;
    private static final int P_HELD = 1;
    private static final int P_FINISHING = 2;
    private static final int P_PENDING_COMPLETE = 3;
    private static final int P_PENDING_RELEASE = 4;
    private static final int P_DONE = 5;
    private static final int P_LOST = 6;

    /**
     * One call's claim: the poll state of a wait for another holder; once claimed, its hold, which the
     * keeper renews every third of the hold until the call completes or fails. A completion or
     * release the store refused because it was down is retried by the keeper too (the effect happened:
     * its record must not be lost, and a replay must find the key completed, not wait out the hold).
     */
    private final class KeyClaim implements Claim, HoldKeeper.Task {
        private final String policyName;
        private final String key;
        private final String fingerprint;
        private final String holder;
        private final long start;
        private final long holdNanos;
        private long backoff;
        private byte[] outcome;
        private long token;
        private volatile int phase = P_WAITING;
        private volatile long confirmedUntilNanos;
        private volatile byte[] pendingOutcome;
        private long retryNanos;
        private int retries;
        private HoldKeeper.Started background;

        KeyClaim(String policyName, CallContext context) {
            this.policyName = policyName;
            this.key = context.idempotencyKey();
            this.fingerprint = context.fingerprint();
            IdempotencyKeys.validate(key);
            this.holder = holderPrefix + "-" + calls.incrementAndGet();
            this.start = ticker.nanoTime();
            this.holdNanos = config.hold().toNanos();
            this.backoff = config.pollInitial().toNanos();
        }

        @Override
        public long tryClaim() {
            long sent = ticker.nanoTime();
            ClaimResult r = store.claim(key, fingerprint, holder, config.hold());
            switch (r.status()) {
                case NEW:
                    token = r.fencingToken();
                    confirmedUntilNanos = sent + holdNanos;
                    phase = P_HELD;
                    background = keeper.start(this, renewPeriod());
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
                    // Wait until the next poll, but not past the end of the hold as the store measures it
                    // (claim it as soon as it expires); our own clock is never compared with the store's.
                    long untilExpiry = Math.max(1_000_000L, r.holdRemainingMillis() * 1_000_000L + 1_000_000L);
                    long sleep = Math.min(Math.min(backoff, untilExpiry), maxWaitNanos - waited);
                    backoff = Math.min(backoff * 2, config.pollMax().toNanos());
                    return Math.max(sleep, 1);
            }
        }

        private long renewPeriod() {
            return Math.max(1_000_000L, holdNanos / 3);
        }

        @Override
        public Object replay() throws Exception {
            return DefaultIdempotencyGuard.this.replay(policyName, key, outcome);
        }

        @Override
        public long fencingToken() {
            return token;
        }

        @Override
        public void checkHeld() {
            if (phase == P_LOST) {
                throw new IdempotencyHoldLostException(policyName, key, "the hold was taken over by another holder "
                    + "(this JVM was paused longer than the hold of " + config.hold() + "); not starting the action again",
                    null);
            }
            long now = ticker.nanoTime();
            long left = confirmedUntilNanos - now;
            if (left > holdNanos / 3) {
                return; // renewed recently: certainly ours
            }
            // Renewals are late (a pause, or trouble at the store): ask the store before an effect starts.
            boolean ours;
            try {
                ours = store.renew(key, token, config.hold());
            } catch (RuntimeException e) {
                if (left > 0) {
                    return; // the last confirmation still covers now
                }
                throw new IdempotencyHoldLostException(policyName, key, "the hold could not be confirmed at the store "
                    + "before the next attempt: " + e.getClass().getName(), e);
            }
            if (ours) {
                confirmedUntilNanos = now + holdNanos;
                return;
            }
            phase = P_LOST;
            stopBackground();
            checkHeld();
        }

        @Override
        public boolean complete(Object value) {
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
            return completeWith(encoded);
        }

        @Override
        public void fail(Throwable failure) {
            if (config.cacheFailures() && !(failure instanceof InterruptedException) && !(failure instanceof Error)) {
                completeWith(encodeFailure(failure));
                return;
            }
            if (phase != P_HELD) {
                return; // lost (nothing of ours to release) or finished already
            }
            phase = P_FINISHING;
            stopBackground();
            try {
                store.release(key, token);
                phase = P_DONE;
            } catch (RuntimeException e) {
                // The store is down: release it once it is back, so a retry does not wait out the hold.
                failure.addSuppressed(e);
                goPending(P_PENDING_RELEASE, null);
            }
        }

        private boolean completeWith(byte[] encoded) {
            if (phase == P_LOST) {
                warnFenced();
                return false;
            }
            phase = P_FINISHING;
            stopBackground();
            boolean recorded;
            try {
                recorded = store.complete(key, token, encoded);
            } catch (RuntimeException e) {
                // The effect happened but the store cannot record it now: keep the key held (renewed) and record
                // the completion in the background, so neither a replay nor a retry runs the effect again.
                LOG.warn("idempotency key '{}' of policy '{}': the action succeeded but the store could not record its "
                    + "completion ({}); keeping the key held and recording it once the store answers", key, policyName,
                    e.getClass().getName());
                goPending(P_PENDING_COMPLETE, encoded);
                return true;
            }
            if (recorded) {
                phase = P_DONE;
                return true;
            }
            phase = P_LOST;
            warnFenced();
            return false;
        }

        private void warnFenced() {
            LOG.warn("idempotency key '{}' of policy '{}': the hold ({}) was taken over by another holder while this one "
                + "was paused (its renewals stopped); its completion was refused, the other holder's stands. If the "
                + "effect's target does not check fencing tokens, it may have happened twice", key, policyName,
                config.hold());
        }

        private void goPending(int which, byte[] encoded) {
            pendingOutcome = encoded;
            retryNanos = config.pollInitial().toNanos();
            retries = 0;
            phase = which;
            synchronized (this) {
                background = keeper.start(this, retryNanos);
            }
        }

        private synchronized void stopBackground() {
            if (background != null) {
                background.stop();
                background = null;
            }
        }

        /** The keeper's work: renew the hold, or record what the store refused while it was down. */
        @Override
        public synchronized long run() {
            switch (phase) {
                case P_HELD:
                    return renewOnce();
                case P_PENDING_COMPLETE:
                case P_PENDING_RELEASE:
                    return finishPending();
                default:
                    return STOP;
            }
        }

        private long renewOnce() {
            long sent = ticker.nanoTime();
            boolean ours;
            try {
                ours = store.renew(key, token, config.hold());
            } catch (RuntimeException e) {
                // try again soon: the hold lasts a while yet, and nobody can take it over through a store that is down
                LOG.debug("renewing the hold of idempotency key '{}' failed", key, e);
                return Math.min(renewPeriod(), Math.max(1_000_000L, config.pollMax().toNanos()));
            }
            if (ours) {
                confirmedUntilNanos = sent + holdNanos;
                return renewPeriod();
            }
            if (phase == P_HELD) {
                phase = P_LOST; // checkHeld() stops the next attempt; complete() will be refused by the store anyway
                LOG.warn("idempotency key '{}' of policy '{}': the hold was taken over by another holder (this JVM was "
                    + "paused longer than the hold of {})", key, policyName, config.hold());
            }
            return STOP;
        }

        private long finishPending() {
            boolean completing = phase == P_PENDING_COMPLETE;
            boolean done;
            try {
                done = completing ? store.complete(key, token, pendingOutcome) : store.release(key, token);
            } catch (RuntimeException e) {
                retries++;
                if (completing) {
                    try {
                        store.renew(key, token, config.hold()); // keep it held meanwhile, should the store half-answer
                    } catch (RuntimeException ignored) {
                        // the store is still down
                    }
                } else if ((long) retries * retryNanos > holdNanos) {
                    return STOP; // the hold has expired at the store by now: nothing left to release
                }
                retryNanos = Math.min(retryNanos * 2, Math.max(config.pollInitial().toNanos(), config.pollMax().toNanos()));
                return retryNanos;
            }
            if (done || !completing) {
                phase = P_DONE;
                if (completing) {
                    LOG.info("idempotency key '{}' of policy '{}': completion recorded after the store came back", key,
                        policyName);
                }
            } else {
                phase = P_LOST;
                LOG.error("idempotency key '{}' of policy '{}': the action succeeded, but before its completion could be "
                    + "recorded the hold was taken over by another holder, which may run the effect again", key, policyName);
            }
            return STOP;
        }

        /** The runtime closes: one last try to record a pending completion, or say which key may run again. */
        @Override
        public void close() {
            if (phase != P_PENDING_COMPLETE && phase != P_PENDING_RELEASE) {
                return;
            }
            boolean completing = phase == P_PENDING_COMPLETE;
            try {
                if (completing ? store.complete(key, token, pendingOutcome) : store.release(key, token)) {
                    phase = P_DONE;
                    return;
                }
            } catch (RuntimeException e) {
                // reported below
            }
            if (completing) {
                LOG.error("idempotency key '{}' of policy '{}': the action succeeded but its completion was never recorded "
                    + "(the store stayed unreachable until shutdown); a later call of this key runs it again", key,
                    policyName);
            }
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
