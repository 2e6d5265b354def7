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

/** The behaviour every {@link IdempotencyStore} must have, on virtual time. */
abstract class IdempotencyStoreContract {

    static final Duration HOLD = Duration.ofSeconds(30);
    static final Duration TTL = Duration.ofHours(1);

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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void newThenInProgressThenCompletedWithOutcome() {
        assertThat(store.claim("k:1", "fp1", "h1", HOLD).status()).isEqualTo(Status.NEW);
        ClaimResult other = store.claim("k:1", "fp1", "h2", HOLD);
        assertThat(other.status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(other.holder()).isEqualTo("h1");
        assertThat(other.expiresAtEpochMillis()).isEqualTo(ticker.epochMillis() + HOLD.toMillis());
        assertThat(store.complete("k:1", "h1", bytes("receipt-1"))).isTrue();
        ClaimResult done = store.claim("k:1", "fp1", "h2", HOLD);
        assertThat(done.status()).isEqualTo(Status.COMPLETED);
        assertThat(done.outcome()).isEqualTo(bytes("receipt-1"));
        assertThat(store.claim("k:1", null, "h3", HOLD).status()).as("no fingerprint: no mismatch check").isEqualTo(Status.COMPLETED);
    }

    @Test
    void sameKeyOtherPayloadIsMismatchInEveryState() {
        assertThat(store.claim("k:m", "fp-a", "h1", HOLD).status()).isEqualTo(Status.NEW);
        ClaimResult whileHeld = store.claim("k:m", "fp-b", "h2", HOLD);
        assertThat(whileHeld.status()).isEqualTo(Status.MISMATCH);
        assertThat(whileHeld.storedFingerprint()).isEqualTo("fp-a");
        store.complete("k:m", "h1", bytes("x"));
        assertThat(store.claim("k:m", "fp-b", "h2", HOLD).status()).isEqualTo(Status.MISMATCH);
        assertThat(store.claim("k:m", "fp-a", "h2", HOLD).status()).isEqualTo(Status.COMPLETED);
        // an expired hold with another payload is still a mismatch, never a takeover
        assertThat(store.claim("k:m2", "fp-a", "h1", HOLD).status()).isEqualTo(Status.NEW);
        ticker.advance(HOLD.plusSeconds(1));
        assertThat(store.claim("k:m2", "fp-b", "h2", HOLD).status()).isEqualTo(Status.MISMATCH);
    }

    @Test
    void releaseMakesTheKeyClaimableAgain() {
        assertThat(store.claim("k:r", "fp", "h1", HOLD).status()).isEqualTo(Status.NEW);
        assertThat(store.release("k:r", "h2")).as("only the holder releases").isFalse();
        assertThat(store.release("k:r", "h1")).isTrue();
        assertThat(store.claim("k:r", "fp", "h2", HOLD).status()).isEqualTo(Status.NEW);
        assertThat(store.complete("k:r", "h1", bytes("late"))).as("old holder cannot complete").isFalse();
        assertThat(store.complete("k:r", "h2", bytes("ok"))).isTrue();
        assertThat(store.release("k:r", "h2")).as("completed keys are not released").isFalse();
    }

    @Test
    void expiredHoldIsTakenOverOnceAndTheStaleHolderCannotComplete() {
        assertThat(store.claim("k:x", "fp", "crashed", HOLD).status()).isEqualTo(Status.NEW);
        ticker.advance(HOLD.minusMillis(1));
        assertThat(store.claim("k:x", "fp", "h2", HOLD).status()).isEqualTo(Status.IN_PROGRESS);
        ticker.advance(Duration.ofMillis(1));
        assertThat(store.claim("k:x", "fp", "h2", HOLD).status()).isEqualTo(Status.NEW);
        assertThat(store.claim("k:x", "fp", "h3", HOLD).status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(store.complete("k:x", "crashed", bytes("zombie"))).isFalse();
        assertThat(store.complete("k:x", "h2", bytes("once"))).isTrue();
        assertThat(store.claim("k:x", "fp", "h3", HOLD).outcome()).isEqualTo(bytes("once"));
    }

    @Test
    void completedKeysAreForgottenAfterTheTtlAndPurged() {
        store.claim("k:t1", "fp", "h1", HOLD);
        store.complete("k:t1", "h1", null);
        store.claim("k:t2", "fp", "h1", HOLD);
        store.complete("k:t2", "h1", bytes("y"));
        assertThat(store.claim("k:t1", "fp", "h2", HOLD).status()).isEqualTo(Status.COMPLETED);
        assertThat(store.claim("k:t1", "fp", "h2", HOLD).outcome()).isNull();
        ticker.advance(TTL.minusMillis(1));
        assertThat(store.claim("k:t2", "fp", "h2", HOLD).status()).isEqualTo(Status.COMPLETED);
        ticker.advance(Duration.ofMillis(1));
        assertThat(store.claim("k:t1", "other-fp", "h2", HOLD).status()).as("past TTL: new, whatever the payload")
            .isEqualTo(Status.NEW);
        assertThat(store.purgeExpired()).as("k:t2 is past its TTL; k:t1 is held again").isEqualTo(1);
        assertThat(store.claim("k:t2", "fp", "h2", HOLD).status()).isEqualTo(Status.NEW);
        assertThat(store.ttl()).isEqualTo(TTL);
    }

    @Test
    void rejectsInvalidKeys() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.claim("bad key", "fp", "h", HOLD))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad key");
    }
}
