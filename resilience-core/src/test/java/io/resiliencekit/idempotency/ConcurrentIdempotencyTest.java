package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyStore;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.CallContext;
import io.resiliencekit.spi.ClaimResult.Status;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.time.Ticker;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Done-when 1 (threads): 8 threads race on the same 10,000 keys; every action runs exactly once. */
class ConcurrentIdempotencyTest {

    static final int THREADS = 8;
    static final int KEYS = 10_000;

    @TempDir
    Path dir;

    /** Claims every key from every thread; the action increments the key's counter (its target). */
    static Map<Status, Long> race(IdempotencyStore store, int keys, AtomicIntegerArray target) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        Map<Status, LongAdder> counts = new EnumMap<>(Status.class);
        for (Status s : Status.values()) {
            counts.put(s, new LongAdder());
        }
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String holder = "thread-" + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < keys; i++) {
                        String key = "race:run1:" + i;
                        ClaimResult r = store.claim(key, "fp-" + i, holder, Duration.ofMinutes(1));
                        counts.get(r.status()).increment();
                        if (r.status() == Status.NEW) {
                            target.incrementAndGet(i);
                            store.complete(key, r.fencingToken(), ByteBuffer.allocate(4).putInt(i).array());
                        } else if (r.status() == Status.COMPLETED) {
                            assertThat(ByteBuffer.wrap(r.outcome()).getInt()).isEqualTo(i);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<Status, Long> out = new EnumMap<>(Status.class);
        counts.forEach((s, n) -> out.put(s, n.sum()));
        return out;
    }

    static void assertExactlyOnce(Map<Status, Long> counts, AtomicIntegerArray target, int keys) {
        for (int i = 0; i < keys; i++) {
            assertThat(target.get(i)).as("runs of key %d", i).isEqualTo(1);
        }
        assertThat(counts.get(Status.NEW)).isEqualTo(keys);
        assertThat(counts.get(Status.MISMATCH)).isZero();
        assertThat(counts.get(Status.IN_PROGRESS) + counts.get(Status.COMPLETED)).isEqualTo((long) (THREADS - 1) * keys);
    }

    @Test
    void eightThreadsOnTheInMemoryStore() throws Exception {
        AtomicIntegerArray target = new AtomicIntegerArray(KEYS);
        Map<Status, Long> counts = race(InMemoryIdempotencyStore.builder().maximumSize(2 * KEYS).build(), KEYS, target);
        assertExactlyOnce(counts, target, KEYS);
    }

    @Test
    void eightThreadsOnAnEmbeddedH2File() throws Exception {
        int keys = 500; // a file database commits to disk per statement; the race is the same
        AtomicIntegerArray target = new AtomicIntegerArray(keys);
        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder("jdbc:h2:file:" + dir.resolve("race"), "sa", "")
            .poolSize(THREADS).build()) {
            Map<Status, Long> counts = race(store, keys, target);
            assertExactlyOnce(counts, target, keys);
        }
    }

    @Test
    void eightThreadsThroughTheGuardAllGetTheOneOutcome() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.builder().poll(Duration.ofMillis(1), Duration.ofMillis(5)).build();
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().build();
        EventPublisher events = new EventPublisher();
        LongAdder skipped = new LongAdder();
        events.register(e -> {
            if (e.type() == EventType.DUPLICATE_SKIPPED) {
                skipped.increment();
            }
        });
        AtomicIntegerArray target = new AtomicIntegerArray(KEYS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    DefaultIdempotencyGuard guard = new DefaultIdempotencyGuard(config, store, Ticker.system(), events);
                    start.await();
                    for (int i = 0; i < KEYS; i++) {
                        int k = i;
                        Integer got = guard.execute("race", CallContext.ofKey("guard:run1:" + i), () -> {
                            target.incrementAndGet(k);
                            return k * 10;
                        });
                        assertThat(got).isEqualTo(k * 10);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < KEYS; i++) {
            assertThat(target.get(i)).as("runs of key %d", i).isEqualTo(1);
        }
        assertThat(skipped.sum()).isEqualTo((long) (THREADS - 1) * KEYS);
    }
}
