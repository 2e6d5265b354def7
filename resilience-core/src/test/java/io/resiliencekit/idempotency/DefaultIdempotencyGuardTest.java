package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
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

    private final ManualTicker ticker = new ManualTicker();
    private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().ticker(ticker).build();
    private final EventPublisher events = new EventPublisher();
    private final List<ResilienceEvent> seen = new ArrayList<>();
    private final AtomicInteger runs = new AtomicInteger();

    DefaultIdempotencyGuardTest() {
        events.register(seen::add);
    }

    private DefaultIdempotencyGuard guard(IdempotencyConfig.Builder b) {
        return new DefaultIdempotencyGuard(b.build(), store, ticker, events);
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
        assertThat(ticker.sleptNanos()).isZero();
    }

    @Test
    void waitModeClaimsAsSoonAsACrashedHoldersHoldExpires() throws Exception {
        Duration hold = Duration.ofSeconds(10);
        store.claim("k:crash", "fp", "crashed", hold);
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().hold(hold).poll(Duration.ofMillis(100), Duration.ofSeconds(1)));
        assertThat(g.execute("p", ctx("k:crash", "fp"), () -> "done-" + runs.incrementAndGet())).isEqualTo("done-1");
        assertThat(runs).hasValue(1);
        // waited on virtual time about as long as the hold, never much longer
        assertThat(ticker.sleptNanos()).isBetween(hold.toNanos(), hold.toNanos() + Duration.ofMillis(1_100).toNanos());
    }

    @Test
    void waitModeReturnsTheOutcomeWhenTheHolderCompletes() throws Exception {
        store.claim("k:slow", "fp", "other", Duration.ofMinutes(1));
        // The other holder finishes after 3 polls of ours.
        IdempotencyStore completingStore = new IdempotencyStore() {
            int claims;

            @Override
            public ClaimResult claim(String key, String fingerprint, String holder, Duration hold) {
                if (++claims == 3) {
                    store.complete("k:slow", "other", ByteOutcome.of("from-other"));
                }
                return store.claim(key, fingerprint, holder, hold);
            }

            @Override
            public boolean complete(String key, String holder, byte[] outcome) {
                return store.complete(key, holder, outcome);
            }

            @Override
            public boolean release(String key, String holder) {
                return store.release(key, holder);
            }

            @Override
            public int purgeExpired() {
                return store.purgeExpired();
            }

            @Override
            public Duration ttl() {
                return store.ttl();
            }
        };
        DefaultIdempotencyGuard g = new DefaultIdempotencyGuard(IdempotencyConfig.builder()
            .poll(Duration.ofMillis(50), Duration.ofSeconds(2)).build(), completingStore, ticker, events);
        assertThat(g.execute("p", ctx("k:slow", "fp"), () -> "mine")).isEqualTo("from-other");
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofMillis(50 + 100).toNanos()); // backoff doubled once
    }

    @Test
    void waitModeGivesUpAfterMaxWait() {
        store.claim("k:long", "fp", "other", Duration.ofHours(1));
        DefaultIdempotencyGuard g = guard(IdempotencyConfig.builder().maxWait(Duration.ofSeconds(5)));
        assertThatThrownBy(() -> g.execute("p", ctx("k:long", "fp"), runs::incrementAndGet))
            .isInstanceOf(IdempotencyInProgressException.class).hasMessageContaining("maxWait");
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofSeconds(5).toNanos());
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
