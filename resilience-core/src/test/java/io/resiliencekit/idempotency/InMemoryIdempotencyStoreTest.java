package io.resiliencekit.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.spi.ClaimResult.Status;
import io.resiliencekit.spi.IdempotencyStore;

import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InMemoryIdempotencyStoreTest extends IdempotencyStoreContract {
    @Override
    protected IdempotencyStore newStore(ManualTicker ticker, Duration ttl) {
        return InMemoryIdempotencyStore.builder().ticker(ticker).ttl(ttl).maximumSize(10_000).build();
    }

    /**
     * A duplicate's claim takes the cache's expiry as the TTL check, so a completed key must never be kept
     * longer: here the holder's renewal extends the cache's expiry (by a hold) just after the same key's
     * completion, the interleaving of a hold keeper and its action finishing at once. Settings: the contract's
     * TTL (1 h) and hold (30 s), a bound of 10,000 keys; the race is replayed on one thread by running the
     * completion from the ticker read that the renewal's cache write makes.
     */
    @Test
    void aCompletionRacingItsHoldersRenewalIsStillForgottenAtTheEndOfItsTtl() {
        HookedTicker clock = new HookedTicker(ticker);
        InMemoryIdempotencyStore racing = InMemoryIdempotencyStore.builder().ticker(clock).ttl(TTL).maximumSize(10_000).build();
        long token = racing.claim("k:race", "fp", "h1", HOLD).fencingToken();
        ticker.advance(Duration.ofSeconds(10)); // so the renewal's hold ends later than the claim's: a cache write
        clock.inRetain = () -> assertThat(racing.complete("k:race", token, bytes("done"))).isTrue();
        assertThat(racing.renew("k:race", token, HOLD)).isTrue();
        assertThat(clock.inRetain).as("the completion ran inside the renewal").isNull();

        ticker.advance(TTL.minus(MARGIN));
        assertThat(racing.claim("k:race", "fp", "h2", HOLD).outcome()).isEqualTo(bytes("done"));
        ticker.advance(MARGIN.multipliedBy(2));
        assertThat(racing.claim("k:race", "fp", "h2", HOLD).status()).as("past its TTL, though the renewal asked for a hold more")
            .isEqualTo(Status.NEW);
        racing.close();
    }

    /** A ticker that runs an action once, from the first read made inside the store's retention update. */
    private static final class HookedTicker implements Ticker {
        private final ManualTicker time;
        Runnable inRetain;

        HookedTicker(ManualTicker time) {
            this.time = time;
        }

        @Override
        public long nanoTime() {
            Runnable action = inRetain;
            if (action != null && StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals("retain")))) {
                inRetain = null;
                action.run();
            }
            return time.nanoTime();
        }

        @Override
        public long epochMillis() {
            return time.epochMillis();
        }

        @Override
        public void sleepNanos(long nanos) throws InterruptedException {
            time.sleepNanos(nanos);
        }
    }
}
