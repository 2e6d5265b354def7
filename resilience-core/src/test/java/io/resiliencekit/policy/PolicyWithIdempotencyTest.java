package io.resiliencekit.policy;

import io.resiliencekit.CallContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.idempotency.IdempotencyInProgressException;
import io.resiliencekit.idempotency.IdempotencyMismatchException;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.idempotency.InProgressMode;
import io.resiliencekit.idempotency.internal.HoldKeeper;
import io.resiliencekit.idempotency.ForwardingStore;
import io.resiliencekit.event.EventType;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code policy.call(key, action)}: the action runs at most once per key, retries included. */
class PolicyWithIdempotencyTest {

    private final IdempotencyKeys keys = IdempotencyKeys.namespace("payments");

    private ResiliencePolicy policy(String store, List<EventType> events) {
        return policy(store, events, new ManualTicker());
    }

    private ResiliencePolicy policy(String store, List<EventType> events, Ticker ticker) {
        return ResiliencePolicy.builder("payments").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(3).noBudget().build())
            .idempotency(IdempotencyConfig.builder().memory(store).build())
            .listener(e -> events.add(e.type()))
            .build();
    }

    @Test
    void aDuplicateGetsTheStoredOutcomeWithoutRunningTheAction() {
        List<EventType> events = new ArrayList<>();
        ResiliencePolicy p = policy("dup-" + System.nanoTime(), events);
        AtomicInteger charges = new AtomicInteger();
        CallContext ctx = CallContext.builder().idempotencyKey(keys.forBusinessKey("run-2026-11-21", "order-7"))
            .fingerprint(Fingerprints.of(Map.of("order", 7, "amount", 1250))).build();
        AtomicInteger attempts = new AtomicInteger();
        String first = p.call(ctx, () -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("reset"); // retried inside the claim: still one effect
            }
            return "charge-" + charges.incrementAndGet();
        });
        String second = p.call(ctx, () -> "charge-" + charges.incrementAndGet());
        assertThat(first).isEqualTo("charge-1");
        assertThat(second).isEqualTo("charge-1");
        assertThat(charges).hasValue(1);
        assertThat(events).contains(EventType.RETRY, EventType.DUPLICATE_SKIPPED);
        assertThat(p.metrics().duplicatesSkipped()).isEqualTo(1);
    }

    @Test
    void theSameKeyWithOtherContentIsAnErrorNotASkip() {
        ResiliencePolicy p = policy("mismatch-" + System.nanoTime(), new ArrayList<>());
        String key = keys.forBusinessKey("run-1", "order-8");
        p.call(CallContext.builder().idempotencyKey(key).fingerprint(Fingerprints.of(Map.of("amount", 1))).build(), () -> "ok");
        assertThatThrownBy(() -> p.call(CallContext.builder().idempotencyKey(key)
            .fingerprint(Fingerprints.of(Map.of("amount", 2))).build(), () -> "again"))
            .isInstanceOf(IdempotencyMismatchException.class);
    }

    @Test
    void eightThreadsOnTheSameKeysRunEachActionOnce() throws Exception {
        // real threads wait for each other's holds in real time: a virtual clock would race ahead of them
        ResiliencePolicy p = policy("race-" + System.nanoTime(), new ArrayList<>(), Ticker.system());
        Map<String, AtomicInteger> effects = new ConcurrentHashMap<>();
        int n = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < n; i++) {
                        String key = keys.forBusinessKey("run-1", "k" + i);
                        p.call(CallContext.ofKey(key), () ->
                            effects.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet());
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(effects).hasSize(n);
        assertThat(effects.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
    }

    /**
     * A runtime on virtual time whose hold keeper runs when the test says (as the keeper's threads
     * would, while virtual time passes); the guard finds it under the keeper's one name.
     */
    private static HoldKeeper.Manual manualKeeper(ResilienceRuntime runtime, ManualTicker ticker) {
        return runtime.share(HoldKeeper.KIND, HoldKeeper.NAME, HoldKeeper.NAME, n -> HoldKeeper.manual(ticker));
    }

    /**
     * An asynchronous call holds its key while its stage is pending on no thread at all: the runtime's
     * keeper renews it, so a caller asking during three holds finds it in progress, then gets its
     * outcome. Settings: a 30 s hold instead of 5 min, in-progress mode fail for the second caller (so
     * it reports each try instead of waiting).
     */
    @Test
    void anAsyncCallKeepsItsKeyWhileItsStageIsPending() throws Exception {
        ManualTicker ticker = new ManualTicker();
        try (ResilienceRuntime runtime = ResilienceRuntime.builder().ticker(ticker).build()) {
            HoldKeeper.Manual keeper = manualKeeper(runtime, ticker);
            ResiliencePolicy holder = runtime.policy(ResiliencePolicy.builder("pay").idempotency(IdempotencyConfig.builder()
                .memory("async").hold(Duration.ofSeconds(30)).build()).config());
            ResiliencePolicy other = runtime.policy(ResiliencePolicy.builder("pay-other").idempotency(IdempotencyConfig
                .builder().memory("async").hold(Duration.ofSeconds(30)).inProgress(InProgressMode.FAIL).build()).config());
            CompletableFuture<String> stage = new CompletableFuture<>();
            AtomicInteger effects = new AtomicInteger();
            CompletableFuture<String> call = holder.callStage(CallContext.ofKey("pay:r1:o-1"), () -> {
                effects.incrementAndGet();
                return stage;
            }, Runnable::run);
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 9; i++) {          // 90 s of virtual time: three holds
                ticker.advance(Duration.ofSeconds(10));
                keeper.runDue();
                try {
                    other.call(CallContext.ofKey("pay:r1:o-1"), () -> "second-" + effects.incrementAndGet());
                    seen.add("ran");
                } catch (IdempotencyInProgressException e) {
                    seen.add("held");
                }
            }
            stage.complete("receipt");
            assertThat(call.get()).isEqualTo("receipt");
            assertThat(seen).containsOnly("held");
            assertThat(other.call(CallContext.ofKey("pay:r1:o-1"), () -> "again")).isEqualTo("receipt");
            assertThat(effects).hasValue(1);
        }
    }

    /**
     * B7 (issue 13) through the policy: the store fails right after the effect. The call returns the
     * effect's result, and a retry of the key gets it too once the store is back, without running the
     * action again and without waiting out the default 5-minute hold.
     */
    @Test
    void B7_aCompletionTheStoreRefusedIsRecordedWhenItIsBackSoARetryMakesNoSecondEffect() throws Exception {
        ManualTicker ticker = new ManualTicker();
        try (ResilienceRuntime runtime = ResilienceRuntime.builder().ticker(ticker).build()) {
            HoldKeeper.Manual keeper = manualKeeper(runtime, ticker);
            ForwardingStore flaky = new ForwardingStore(InMemoryIdempotencyStore.builder().ticker(ticker).build(), ticker);
            IdempotencyConfig idem = IdempotencyConfig.builder().store("flaky", ctx -> flaky).build();
            ResiliencePolicy p = runtime.policy(ResiliencePolicy.builder("pay").idempotency(idem).config());
            AtomicInteger effects = new AtomicInteger();
            String first = p.call(CallContext.ofKey("pay:r1:o-7"), () -> {
                effects.incrementAndGet();
                flaky.goDownFor(Duration.ofSeconds(1));   // the effect went through; the store dies now, for a second
                return "receipt-1";
            });
            assertThat(first).isEqualTo("receipt-1");
            keeper.runDue();
            ticker.advance(Duration.ofSeconds(1));        // back
            keeper.runDue();
            long before = ticker.sleptNanos();
            assertThat(p.call(CallContext.ofKey("pay:r1:o-7"), () -> "receipt-" + (1 + effects.incrementAndGet())))
                .isEqualTo("receipt-1");
            assertThat(effects).as("one effect").hasValue(1);
            assertThat(Duration.ofNanos(ticker.sleptNanos() - before)).as("no wait for the hold").isLessThan(Duration.ofSeconds(1));
        }
    }

    @Test
    void idempotencyIsConfigurableFromOptions() {
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "payments",
            "idempotency.store", "memory", "idempotency.hold", "2m", "idempotency.inProgress", "fail"));
        assertThat(c.idempotency()).isPresent();
        assertThat(ResiliencePolicyConfig.fromOptions(c.toOptions())).isEqualTo(c);
    }
}
