package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.spi.ClaimResult.Status;
import io.resiliencekit.time.ManualTicker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link IdempotencyStore} must have, on virtual time. Stores on a database
 * measure time by the database's clock, which the virtual ticker only shifts, so real time passes
 * between statements too: expiries are checked {@link #MARGIN} before and after, not to the millisecond.
 */
abstract class IdempotencyStoreContract {

    static final Duration HOLD = Duration.ofSeconds(30);
    static final Duration TTL = Duration.ofHours(1);
    static final Duration MARGIN = Duration.ofSeconds(2);

    protected final ManualTicker ticker = new ManualTicker();
    protected IdempotencyStore store;

    /** A fresh, empty store on {@code ticker} with {@link #TTL}. */
    protected abstract IdempotencyStore newStore(ManualTicker ticker, Duration ttl);

    @BeforeEach
    void open() {
        store = newStore(ticker, TTL);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Claims {@code key} and returns its fencing token, failing unless the claim is NEW. */
    long claimNew(String key, String fp, String holder) {
        ClaimResult r = store.claim(key, fp, holder, HOLD);
        assertThat(r.status()).as("claim of " + key + " by " + holder).isEqualTo(Status.NEW);
        assertThat(r.fencingToken()).isPositive();
        return r.fencingToken();
    }

    @Test
    void newThenInProgressThenCompletedWithOutcome() {
        long t1 = claimNew("k:1", "fp1", "h1");
        ClaimResult other = store.claim("k:1", "fp1", "h2", HOLD);
        assertThat(other.status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(other.holder()).isEqualTo("h1");
        assertThat(other.fencingToken()).isZero();
        assertThat(other.holdRemainingMillis()).as("measured on the store's clock")
            .isCloseTo(HOLD.toMillis(), org.assertj.core.api.Assertions.within(MARGIN.toMillis()));
        assertThat(store.complete("k:1", t1, bytes("receipt-1"))).isTrue();
        ClaimResult done = store.claim("k:1", "fp1", "h2", HOLD);
        assertThat(done.status()).isEqualTo(Status.COMPLETED);
        assertThat(done.outcome()).isEqualTo(bytes("receipt-1"));
        assertThat(store.claim("k:1", null, "h3", HOLD).status()).as("no fingerprint: no mismatch check").isEqualTo(Status.COMPLETED);
        assertThat(store.complete("k:1", t1, bytes("again"))).as("completed once").isFalse();
    }

    @Test
    void sameKeyOtherPayloadIsMismatchInEveryState() {
        long t = claimNew("k:m", "fp-a", "h1");
        ClaimResult whileHeld = store.claim("k:m", "fp-b", "h2", HOLD);
        assertThat(whileHeld.status()).isEqualTo(Status.MISMATCH);
        assertThat(whileHeld.storedFingerprint()).isEqualTo("fp-a");
        store.complete("k:m", t, bytes("x"));
        assertThat(store.claim("k:m", "fp-b", "h2", HOLD).status()).isEqualTo(Status.MISMATCH);
        assertThat(store.claim("k:m", "fp-a", "h2", HOLD).status()).isEqualTo(Status.COMPLETED);
        // an expired hold with another payload is still a mismatch, never a takeover
        claimNew("k:m2", "fp-a", "h1");
        ticker.advance(HOLD.plus(MARGIN));
        assertThat(store.claim("k:m2", "fp-b", "h2", HOLD).status()).isEqualTo(Status.MISMATCH);
    }

    @Test
    void releaseMakesTheKeyClaimableAgain() {
        long t1 = claimNew("k:r", "fp", "h1");
        assertThat(store.release("k:r", t1 + 1000)).as("only the hold's token releases").isFalse();
        assertThat(store.release("k:r", t1)).isTrue();
        long t2 = claimNew("k:r", "other-fp", "h2");
        assertThat(t2).as("a new token for the new hold").isNotEqualTo(t1);
        assertThat(store.complete("k:r", t1, bytes("late"))).as("old holder cannot complete").isFalse();
        assertThat(store.release("k:r", t1)).as("nor release the new hold").isFalse();
        assertThat(store.complete("k:r", t2, bytes("ok"))).isTrue();
        assertThat(store.release("k:r", t2)).as("completed keys are not released").isFalse();
    }

    @Test
    void expiredHoldIsTakenOverOnceAndTheStaleHolderIsFencedOut() {
        long stale = claimNew("k:x", "fp", "paused");
        ticker.advance(HOLD.minus(MARGIN));
        assertThat(store.claim("k:x", "fp", "h2", HOLD).status()).isEqualTo(Status.IN_PROGRESS);
        ticker.advance(MARGIN.multipliedBy(2));
        long fresh = claimNew("k:x", "fp", "h2");
        assertThat(fresh).as("a takeover's token is larger than the hold it replaced").isGreaterThan(stale);
        assertThat(store.claim("k:x", "fp", "h3", HOLD).status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(store.renew("k:x", stale, HOLD)).as("the stale holder cannot renew").isFalse();
        assertThat(store.complete("k:x", stale, bytes("zombie"))).as("nor complete").isFalse();
        assertThat(store.release("k:x", stale)).as("nor release").isFalse();
        assertThat(store.complete("k:x", fresh, bytes("once"))).isTrue();
        assertThat(store.claim("k:x", "fp", "h3", HOLD).outcome()).isEqualTo(bytes("once"));
    }

    @Test
    void renewalKeepsTheHoldPastItsOriginalEnd() {
        long t = claimNew("k:n", "fp", "h1");
        for (int i = 0; i < 5; i++) {
            ticker.advance(HOLD.dividedBy(3));
            assertThat(store.renew("k:n", t, HOLD)).isTrue();
        }
        // well past the first hold's end: still held, because it was renewed
        ClaimResult r = store.claim("k:n", "fp", "h2", HOLD);
        assertThat(r.status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(r.holdRemainingMillis()).isCloseTo(HOLD.toMillis(), org.assertj.core.api.Assertions.within(MARGIN.toMillis()));
        ticker.advance(HOLD.plus(MARGIN));
        assertThat(store.renew("k:n", t, HOLD)).as("an expired hold nobody took over may still be renewed").isTrue();
        assertThat(store.complete("k:n", t, bytes("done"))).isTrue();
        assertThat(store.renew("k:n", t, HOLD)).as("a completed key has no hold to renew").isFalse();
        assertThat(store.renew("k:unknown", t, HOLD)).isFalse();
    }

    @Test
    void aKeyCompletedLongAfterItsClaimIsRememberedForItsWholeTtl() {
        long t = claimNew("k:late", "fp", "h1");
        for (int i = 0; i < 360; i++) { // a two-hour action, renewed every 20 s: twice the TTL
            ticker.advance(Duration.ofSeconds(20));
            assertThat(store.renew("k:late", t, HOLD)).as("renewal %d", i).isTrue();
        }
        assertThat(store.complete("k:late", t, bytes("late"))).isTrue();
        ticker.advance(TTL.minus(MARGIN));
        assertThat(store.claim("k:late", "fp", "h2", HOLD).outcome()).isEqualTo(bytes("late"));
        ticker.advance(MARGIN.multipliedBy(2));
        assertThat(store.claim("k:late", "fp", "h2", HOLD).status()).isEqualTo(Status.NEW);
    }

    @Test
    void completedKeysAreForgottenAfterTheTtlAndPurged() {
        store.complete("k:t1", claimNew("k:t1", "fp", "h1"), null);
        store.complete("k:t2", claimNew("k:t2", "fp", "h1"), bytes("y"));
        assertThat(store.claim("k:t1", "fp", "h2", HOLD).status()).isEqualTo(Status.COMPLETED);
        assertThat(store.claim("k:t1", "fp", "h2", HOLD).outcome()).isNull();
        ticker.advance(TTL.minus(MARGIN));
        assertThat(store.claim("k:t2", "fp", "h2", HOLD).status()).isEqualTo(Status.COMPLETED);
        ticker.advance(MARGIN.multipliedBy(2));
        assertThat(store.claim("k:t1", "other-fp", "h2", HOLD).status()).as("past TTL: new, whatever the payload")
            .isEqualTo(Status.NEW);
        int purged = store.purgeExpired();
        assertThat(purged).as("k:t2 is past its TTL (a store may have dropped it already); k:t1 is held again")
            .isBetween(0, 1);
        assertThat(store.claim("k:t2", "fp", "h2", HOLD).status()).isEqualTo(Status.NEW);
        assertThat(store.claim("k:t1", "other-fp", "h3", HOLD).status()).as("held again, not purged").isEqualTo(Status.IN_PROGRESS);
        assertThat(store.ttl()).isEqualTo(TTL);
    }

    @Test
    void rejectsInvalidKeys() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.claim("bad key", "fp", "h", HOLD))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad key");
    }
}
