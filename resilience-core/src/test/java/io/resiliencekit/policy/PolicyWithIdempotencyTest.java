package io.resiliencekit.policy;

import io.resiliencekit.CallContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.idempotency.IdempotencyMismatchException;
import io.resiliencekit.event.EventType;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    @Test
    void idempotencyIsConfigurableFromOptions() {
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "payments",
            "idempotency.store", "memory", "idempotency.hold", "2m", "idempotency.inProgress", "fail"));
        assertThat(c.idempotency()).isPresent();
        assertThat(ResiliencePolicyConfig.fromOptions(c.toOptions())).isEqualTo(c);
    }
}
