package io.resiliencekit.benchmarks.idempotency;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.resiliencekit.idempotency.CanonicalForm;
import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.spi.ClaimResult;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The rows of {@link IdempotencyBenchmark} measured in this thread's CPU time, for a machine too busy
 * for JMH's wall-clock times: time spent waiting for a core is not counted, and each row reports the
 * least CPU time per operation over many short batches, interleaved so every row sees the same load.
 * A cross-check of the JMH ratios, not a replacement (contention for caches and the core's sibling
 * still counts).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.resiliencekit.benchmarks.idempotency.IdempotencyCpuTimeProbe [rounds]
 * </pre>
 */
public final class IdempotencyCpuTimeProbe {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static volatile Object sink;

    private IdempotencyCpuTimeProbe() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        IdempotencyKeys keys = IdempotencyKeys.namespace("bench");
        Map<String, Supplier<Object>> rows = new LinkedHashMap<>();
        Map<String, Integer> batch = new LinkedHashMap<>();
        for (int size : new int[] {100, 1000}) {
            Map<String, Object> record = IdempotencyBenchmark.record(size);
            byte[] canonical = CanonicalForm.bytes(record);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] out = new byte[32];
            int n = size == 100 ? 20_000 : 4_000;
            row(rows, batch, "contentKey " + size, n, () -> keys.forContent("batch-42", record));
            row(rows, batch, "keyForCanonicalBytes " + size, n, () -> keys.forBytes("batch-42", canonical));
            String built = record.toString();
            row(rows, batch, "baselineJdkSha256OfBuiltString " + size, n,
                () -> Fingerprints.sha256Hex(built.getBytes(StandardCharsets.UTF_8)));
            row(rows, batch, "floorSha256OfCanonicalBytes " + size, n, () -> {
                md.update(canonical);
                try {
                    md.digest(out, 0, 32);
                } catch (DigestException e) {
                    throw new IllegalStateException(e);
                }
                return out;
            });
        }
        Duration hold = Duration.ofMinutes(1);
        byte[] outcome = new byte[32];
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.builder().maximumSize(2_000_000).build();
        store.complete("bench:run:dup", store.claim("bench:run:dup", "fp", "h", hold).fencingToken(), outcome);
        ConcurrentHashMap<String, byte[]> map = new ConcurrentHashMap<>();
        Cache<String, byte[]> cache = Caffeine.newBuilder().maximumSize(2_000_000).expireAfterWrite(Duration.ofHours(24)).build();
        cache.put("bench:run:dup", outcome);
        long[] next = {0};
        row(rows, batch, "memoryDuplicateClaim", 20_000, () -> store.claim("bench:run:dup", "fp", "h2", hold));
        row(rows, batch, "baselineCaffeineGetIfPresent", 20_000, () -> cache.getIfPresent("bench:run:dup"));
        row(rows, batch, "memoryClaimAndComplete", 5_000, () -> {
            String key = "bench:run:" + ++next[0];
            ClaimResult r = store.claim(key, "fp", "h", hold);
            return r.status() == ClaimResult.Status.NEW && store.complete(key, r.fencingToken(), outcome);
        });
        row(rows, batch, "baselinePutIfAbsentPlusCaffeinePut", 5_000, () -> {
            String key = "bench:run:" + ++next[0];
            if (map.size() > 500_000) {
                map.clear(); // as the benchmark clears it per iteration: no bound of its own
            }
            boolean fresh = map.putIfAbsent(key, outcome) == null;
            cache.put(key, outcome);
            return fresh;
        });
        Map<String, Double> least = new LinkedHashMap<>();
        int warmup = Math.max(1, rounds / 4);
        for (int round = 0; round < rounds; round++) {
            for (Map.Entry<String, Supplier<Object>> e : rows.entrySet()) {
                double ns = cpuNanosPerOp(e.getValue(), batch.get(e.getKey()));
                if (round >= warmup) {
                    least.merge(e.getKey(), ns, Math::min);
                }
            }
        }
        System.out.printf("least CPU ns/op over %d batches per row (after %d warm-up rounds)%n", rounds - warmup, warmup);
        least.forEach((name, ns) -> System.out.printf("%-40s %8.0f%n", name, ns));
    }

    private static void row(Map<String, Supplier<Object>> rows, Map<String, Integer> batch, String name, int n,
                            Supplier<Object> op) {
        rows.put(name, op);
        batch.put(name, n);
    }

    private static double cpuNanosPerOp(Supplier<Object> op, int n) {
        long start = THREADS.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
            sink = op.get();
        }
        return (THREADS.getCurrentThreadCpuTime() - start) / (double) n;
    }
}
