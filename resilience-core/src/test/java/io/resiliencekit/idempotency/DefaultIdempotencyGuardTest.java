package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.IdempotencyStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.CallContext;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.ManualTicker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DefaultIdempotencyGuardTest {

    private final ManualTicker time = new ManualTicker();
    // the guards' clock: virtual time whose sleeps run the hold keeper's due renewals
    private final KeeperTicker ticker = new KeeperTicker(time);
    private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().ticker(time).build();
    private final EventPublisher events = new EventPublisher();
    private final List<ResilienceEvent> seen = new ArrayList<>();
    private final AtomicInteger runs = new AtomicInteger();

    DefaultIdempotencyGuardTest() {
        events.register(seen::add);
    }

    private DefaultIdempotencyGuard guard(IdempotencyConfig.Builder b) {
        return guard(b, store);
    }

    private DefaultIdempotencyGuard guard(IdempotencyConfig.Builder b, IdempotencyStore on) {
        return new DefaultIdempotencyGuard(b.build(), on, ticker, events, ticker.keeper);
    }

    private static CallContext ctx(String key, String fp) {
        return CallContext.builder().idempotencyKey(key).fingerprint(fp).build();
    }

    @Test
    void runsOnceAndReturnsTheStoredOutcomeToDuplicates() throws Exception {
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder());
        assertThat(g.execute("p", ctx("k:1", "fp"), () -> "receipt-" + runs.incrementAndGet())).isEqualTo("receipt-1");
        assertThat(g.execute("p", ctx("k:1", "fp"), () -> "receipt-" + runs.incrementAndGet())).isEqualTo("receipt-1");
        // a second guard (another task) on the same store sees it too
        DefaultIdempotencyGuard other = guard(IdempotencyConfig.builder());
        assertThat(other.execute("p", ctx("k:1", "fp"), () -> "receipt-" + runs.incrementAndGet())).isEqualTo("receipt-1");
        assertThat(runs).hasValue(1);
        assertThat(seen).extracting(ResilienceEvent::type).containsExactly(EventType.DUPLICATE_SKIPPED, EventType.DUPLICATE_SKIPPED);
        assertThat(seen.get(0).detail()).isEqualTo("COMPLETED k:1");
        assertThat((Object) g.<Object>execute("p", ctx("k:null", null), () -> null)).isNull();
        assertThat((Object) g.<Object>execute("p", ctx("k:null", null), () -> "not run")).isNull();
    }

    @Test
    void callsWithoutKeyRunDirectlyAndBadKeysAreRejected() throws Exception {
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder());
        g.execute("p", CallContext.NONE, runs::incrementAndGet);
        g.execute("p", CallContext.NONE, runs::incrementAndGet);
        assertThat(runs).hasValue(2);
        assertThatThrownBy(() -> g.execute("p", CallContext.ofKey("no spaces allowed"), runs::incrementAndGet))
            .isInstanceOf(IllegalArgumentException.class);
        assertThat(runs).hasValue(2);
    }

    @Test
    void failuresReleaseTheKeySoARetryRunsAgain() throws Exception {
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder());
        assertThatThrownBy(() -> g.execute("p", ctx("k:f", "fp"), () -> {
            runs.incrementAndGet();
            throw new IOException("reset");
        })).isInstanceOf(IOException.class);
        assertThat(g.execute("p", ctx("k:f", "fp"), () -> "ok-" + runs.incrementAndGet())).isEqualTo("ok-2");
    }

    @Test
    void cachedFailuresAreReplayedWithoutRunningAgain() {
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().cacheFailures(true));
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> g.execute("p", ctx("k:cf", "fp"), () -> {
                runs.incrementAndGet();
                throw new IllegalStateException("rejected by API");
            })).isInstanceOf(IllegalStateException.class).hasMessage("rejected by API");
        }
        assertThat(runs).hasValue(1);
    }

    @Test
    void mismatchIsAnErrorAndNeverRunsTheAction() throws Exception {
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder());
        g.execute("pay", ctx("k:m", "fp-a"), runs::incrementAndGet);
        assertThatThrownBy(() -> g.execute("pay", ctx("k:m", "fp-b"), runs::incrementAndGet))
            .isInstanceOfSatisfying(IdempotencyMismatchException.class, e -> {
                assertThat(e.key()).isEqualTo("k:m");
                assertThat(e.storedFingerprint()).isEqualTo("fp-a");
                assertThat(e.fingerprint()).isEqualTo("fp-b");
                assertThat(e.policyName()).isEqualTo("pay");
                assertThat(e.attempts()).isZero();
            });
        assertThat(runs).hasValue(1);
    }

    @Test
    void failFastModeThrowsWhileAnotherHolderRuns() {
        store.claim("k:busy", "fp", "elsewhere", Duration.ofMinutes(1));
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().inProgress(InProgressMode.FAIL));
        assertThatThrownBy(() -> g.execute("p", ctx("k:busy", "fp"), runs::incrementAndGet))
            .isInstanceOfSatisfying(IdempotencyInProgressException.class, e -> {
                assertThat(e.holder()).isEqualTo("elsewhere");
                assertThat(e.expiresAtEpochMillis()).isEqualTo(ticker.epochMillis() + 60_000);
            });
        assertThat(runs).hasValue(0);
        assertThat(seen).singleElement().extracting(ResilienceEvent::detail).isEqualTo("IN_PROGRESS k:busy");
        assertThat(time.sleptNanos()).isZero();
    }

    @Test
    void waitModeClaimsAsSoonAsACrashedHoldersHoldExpires() throws Exception {
        Duration hold = Duration.ofSeconds(10);
        store.claim("k:crash", "fp", "crashed", hold);
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().hold(hold).poll(Duration.ofMillis(100), Duration.ofSeconds(1)));
        assertThat(g.execute("p", ctx("k:crash", "fp"), () -> "done-" + runs.incrementAndGet())).isEqualTo("done-1");
        assertThat(runs).hasValue(1);
        // waited on virtual time about as long as the hold, never much longer
        assertThat(time.sleptNanos()).isBetween(hold.toNanos(), hold.toNanos() + Duration.ofMillis(1_100).toNanos());
    }

    @Test
    void waitModeReturnsTheOutcomeWhenTheHolderCompletes() throws Exception {
        long other = store.claim("k:slow", "fp", "other", Duration.ofMinutes(1)).fencingToken();
        // The other holder finishes after 3 polls of ours.
        IdempotencyStore completingStore = new ForwardingStore(store, time) {
            int claims;

            @Override
            public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
                if (++claims == 3) {
                    store.complete("k:slow", other, ByteOutcome.of("from-other"));
                }
                return super.claim(key, fingerprint, holder, hold);
            }
        };
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().poll(Duration.ofMillis(50), Duration.ofSeconds(2)),
            completingStore);
        assertThat(g.execute("p", ctx("k:slow", "fp"), () -> "mine")).isEqualTo("from-other");
        assertThat(time.sleptNanos()).isEqualTo(Duration.ofMillis(50 + 100).toNanos()); // backoff doubled once
    }

    @Test
    void waitModeGivesUpAfterMaxWait() {
        store.claim("k:long", "fp", "other", Duration.ofHours(1));
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().maxWait(Duration.ofSeconds(5)));
        assertThatThrownBy(() -> g.execute("p", ctx("k:long", "fp"), runs::incrementAndGet))
            .isInstanceOf(IdempotencyInProgressException.class).hasMessageContaining("maxWait");
        assertThat(time.sleptNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(runs).hasValue(0);
    }

    @Test
    void unserializableResultsCompleteTheKeyButDuplicatesGetAClearError() throws Exception {
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder());
        Object notSerializable = new Object();
        assertThat(g.execute("p", ctx("k:u", "fp"), () -> {
            runs.incrementAndGet();
            return notSerializable;
        })).isSameAs(notSerializable);
        assertThatThrownBy(() -> g.execute("p", ctx("k:u", "fp"), () -> runs.incrementAndGet()))
            .isInstanceOf(IdempotencyOutcomeUnavailableException.class)
            .hasMessageContaining("java.lang.Object").hasMessageContaining("OutcomeCodec");
        assertThat(runs).hasValue(1);
    }

    @Test
    void codecsArePluggable() throws Exception {
        OutcomeCodec upper = new OutcomeCodec() {
            @Override
            public byte[] encode(Object result) {
                return result.toString().toUpperCase().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }

            @Override
            public Object decode(byte[] bytes) {
                return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
            }
        };
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().outcomeCodec(upper));
        assertThat(g.execute("p", ctx("k:c", null), () -> "abc")).isEqualTo("abc");
        assertThat(g.execute("p", ctx("k:c", null), () -> "zzz")).isEqualTo("ABC");
    }

    /**
     * A holder whose action outlasts its hold three times over keeps the key: the keeper renews it
     * every third of the hold (run here as the keeper's threads would, while virtual time passes), so
     * a second caller waits and then gets the outcome instead of running the effect again.
     * Settings: a 30 s hold instead of the default 5 min, so the action spans several holds quickly.
     */
    @Test
    void aHolderThatLivesKeepsItsKeyHoweverLongItsActionRuns() throws Exception {
        Duration hold = Duration.ofSeconds(30);
        DefaultIdempotencyGuard a = guard(IdempotencyConfig.builder().hold(hold));
        DefaultIdempotencyGuard b = guard(IdempotencyConfig.builder().hold(hold).inProgress(InProgressMode.FAIL));
        List<String> othersSaw = new ArrayList<>();
        String out = a.execute("p", ctx("k:long", "fp"), () -> {
            runs.incrementAndGet();
            for (int i = 0; i < 9; i++) { // 9 x 10 s: three holds
                ticker.sleep(Duration.ofSeconds(10));
                try {
                    b.execute("p", ctx("k:long", "fp"), () -> "second effect-" + runs.incrementAndGet());
                    othersSaw.add("ran");
                } catch (IdempotencyInProgressException e) {
                    othersSaw.add("held");
                }
            }
            return "receipt";
        });
        assertThat(out).isEqualTo("receipt");
        assertThat(othersSaw).hasSize(9).containsOnly("held");
        assertThat(b.execute("p", ctx("k:long", "fp"), () -> "again")).isEqualTo("receipt");
        assertThat(runs).hasValue(1);
        assertThat(ticker.keeper.pending()).as("renewals stop with the call").isZero();
    }

    /**
     * A holder stopped past its hold (its renewals stopped with it) while another caller takes the
     * key over: the other caller's effect is the only one, and when the stale holder resumes it is
     * fenced out: it starts no attempt, and its completion is refused.
     */
    @Test
    void aHolderPausedPastItsHoldIsFencedOut() throws Exception {
        Duration hold = Duration.ofSeconds(30);
        DefaultIdempotencyGuard a = guard(IdempotencyConfig.builder().hold(hold));
        DefaultIdempotencyGuard b = guard(IdempotencyConfig.builder().hold(hold));
        IdempotencyGuard.Claim stale = a.open("p", ctx("k:paused", "fp"));
        assertThat(stale.tryClaim()).isEqualTo(IdempotencyGuard.Claim.CLAIMED);
        long staleToken = stale.fencingToken();
        time.advance(hold.plusSeconds(1));   // paused: the keeper ran nothing meanwhile
        assertThat(b.execute("p", ctx("k:paused", "fp"), () -> "b-" + runs.incrementAndGet())).isEqualTo("b-1");
        // the stale holder resumes
        assertThatThrownBy(stale::checkHeld).isInstanceOf(IdempotencyHoldLostException.class)
            .hasMessageContaining("taken over");
        assertThat(stale.complete("a-late")).as("its completion is refused").isFalse();
        assertThat(b.execute("p", ctx("k:paused", "fp"), () -> "again")).isEqualTo("b-1");
        assertThat(store.claim("k:paused", "fp", "probe", hold).status()).isEqualTo(ClaimResult.Status.COMPLETED);
        assertThat(staleToken).isPositive();
        assertThat(runs).hasValue(1);
    }

    /**
     * B7 (issue 13): the store dies right after the effect, before its completion is recorded. The
     * call still returns what the effect returned (it happened: nothing to dead-letter), the key stays
     * held, and the completion is recorded as soon as the store answers again, so a replay of the key
     * finds it completed: no second effect, and no wait for the 5-minute hold (default settings).
     */
    @Test
    void B7_aStoreThatDiesBetweenTheEffectAndItsCompletionNeitherRepeatsTheEffectNorHangsTheReplay() throws Exception {
        ForwardingStore flaky = new ForwardingStore(store, time);
        DefaultIdempotencyGuard first = guard(IdempotencyConfig.builder(), flaky);
        String out = first.execute("pay", ctx("k:b7", "fp"), () -> {
            runs.incrementAndGet();
            flaky.goDownFor(Duration.ofSeconds(3));   // the effect went through; the store dies now
            return "receipt-1";
        });
        assertThat(out).as("the effect happened: its result, not a store failure").isEqualTo("receipt-1");
        long before = time.sleptNanos();
        DefaultIdempotencyGuard replay = guard(IdempotencyConfig.builder(), flaky);
        ticker.sleep(Duration.ofSeconds(3)); // the store comes back; the replay starts
        assertThat(replay.execute("pay", ctx("k:b7", "fp"), () -> "receipt-" + runs.incrementAndGet()))
            .isEqualTo("receipt-1");
        assertThat(runs).as("one effect").hasValue(1);
        assertThat(flaky.refused.get()).as("the completion was tried while the store was down").isPositive();
        assertThat(Duration.ofNanos(time.sleptNanos() - before)).as("waited for the store, not for the hold")
            .isLessThan(Duration.ofSeconds(10));
    }

    /** A failed action whose release the store refused (down) is released once it is back: a retry does not wait out the hold. */
    @Test
    void aFailureTheStoreCouldNotReleaseIsReleasedWhenTheStoreIsBack() throws Exception {
        ForwardingStore flaky = new ForwardingStore(store, time);
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder(), flaky);
        assertThatThrownBy(() -> g.execute("pay", ctx("k:rel", "fp"), () -> {
            runs.incrementAndGet();
            flaky.goDownFor(Duration.ofSeconds(3));
            throw new IOException("reset");
        })).isInstanceOf(IOException.class).satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));
        long before = time.sleptNanos();
        ticker.sleep(Duration.ofSeconds(4));
        assertThat(g.execute("pay", ctx("k:rel", "fp"), () -> "ok-" + runs.incrementAndGet())).isEqualTo("ok-2");
        assertThat(Duration.ofNanos(time.sleptNanos() - before)).isLessThan(Duration.ofSeconds(10));
    }

    /** Encodes a value the way the guard stores successful outcomes. */
    static final class ByteOutcome {
        static byte[] of(Object value) {
            byte[] payload = OutcomeCodec.javaSerialization().encode(value);
            byte[] out = new byte[payload.length + 1];
            out[0] = 'V';
            System.arraycopy(payload, 0, out, 1, payload.length);
            return out;
        }
    }
}
