package io.resiliencekit.benchmarks.idempotency;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.common.hash.Hashing;
import io.resiliencekit.idempotency.CanonicalForm;
import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.idempotency.JdbcIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Idempotency costs per record: deriving a content key (canonical form + SHA-256) for 100 B and
 * 1 KB records against the naive peers (SHA-256 of {@code toString()}, with the JDK and Guava) and
 * a SHA-256 of a string already built; an in-memory claim + complete of a new key against the
 * baseline of a {@code ConcurrentHashMap.putIfAbsent} plus a Caffeine {@code put} of the same key
 * (bounded, with a TTL: what a hand-made dedup cache does); a duplicate's claim against that cache's
 * {@code getIfPresent}; and the JDBC round
 * trips per key on embedded H2 (in-memory).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar 'idempotency' -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class IdempotencyBenchmark {

    /** A record whose canonical form is about {@code recordBytes} bytes. */
    @State(Scope.Benchmark)
    public static class Records {
        @Param({"100", "1000"})
        public int recordBytes;

        public Map<String, Object> record;
        public String prebuilt;
        public byte[] canonical;   // the bytes a content key hashes
        public byte[] plain;       // exactly recordBytes bytes
        public final IdempotencyKeys keys = IdempotencyKeys.namespace("bench");

        @Setup
        public void setup() {
            record = record(recordBytes);
            prebuilt = record.toString();
            canonical = CanonicalForm.bytes(record);
            plain = java.util.Arrays.copyOf(canonical, recordBytes);
        }
    }

    /** An order-like record whose canonical form is at least {@code canonicalBytes} long (122 B and 1,014 B here). */
    static Map<String, Object> record(int canonicalBytes) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("orderId", 1234567L);
        record.put("amount", new java.math.BigDecimal("19.90"));
        record.put("currency", "EUR");
        int i = 0;
        while (CanonicalForm.bytes(record).length < canonicalBytes) {
            record.put("field" + i, i % 2 == 0 ? "value-" + i : List.of(i, "x" + i));
            i++;
        }
        return record;
    }

    /** A SHA-256 digest of this thread's own, made once, and the array its result goes into. */
    @State(Scope.Thread)
    public static class Digest {
        public MessageDigest md;
        public final byte[] out = new byte[32];

        @Setup
        public void setup() throws NoSuchAlgorithmException {
            md = MessageDigest.getInstance("SHA-256");
        }
    }

    /**
     * Floor: the JDK's SHA-256 alone over the very bytes a content key hashes (its canonical form), with
     * a digest made once and no allocation. A content key cannot cost less than this.
     */
    @Benchmark
    public byte[] floorSha256OfCanonicalBytes(Records r, Digest d) throws DigestException {
        d.md.update(r.canonical);
        d.md.digest(d.out, 0, 32);
        return d.out;
    }

    /** Floor: the JDK's SHA-256 alone over exactly {@code recordBytes} bytes (100 B, 1,000 B). */
    @Benchmark
    public byte[] floorSha256OfRecordBytes(Records r, Digest d) throws DigestException {
        d.md.update(r.plain);
        d.md.digest(d.out, 0, 32);
        return d.out;
    }

    /** What a digest looked up per call costs on top of the floor ({@code getInstance} + a fresh digest array). */
    @Benchmark
    public byte[] sha256GetInstancePerCall(Records r) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(r.canonical);
    }

    /** The key from canonical bytes already built: digest + the key string (a content key less its encoding). */
    @Benchmark
    public String keyForCanonicalBytes(Records r) {
        return r.keys.forBytes("batch-42", r.canonical);
    }

    /** The canonical encoding alone, into a growing array (plus the copy {@code bytes} returns). */
    @Benchmark
    public byte[] canonicalBytesOnly(Records r) {
        return CanonicalForm.bytes(r.record);
    }

    @Benchmark
    public String contentKey(Records r) {
        return r.keys.forContent("batch-42", r.record);
    }

    /** Peer (the unsafe way the design rules out): JDK SHA-256 of toString(). */
    @Benchmark
    public String peerJdkSha256OfToString(Records r) {
        return Fingerprints.sha256Hex(r.record.toString());
    }

    /** Peer: Guava's SHA-256 of toString(). */
    @Benchmark
    @SuppressWarnings("UnstableApiUsage")
    public String peerGuavaSha256OfToString(Records r) {
        return Hashing.sha256().hashString(r.record.toString(), StandardCharsets.UTF_8).toString();
    }

    /** Baseline: only the hash of a string that is already there (no encoding at all). */
    @Benchmark
    public String baselineJdkSha256OfBuiltString(Records r) {
        return Fingerprints.sha256Hex(r.prebuilt.getBytes(StandardCharsets.UTF_8));
    }

    /** Shared keys so each invocation claims a fresh one. */
    @State(Scope.Benchmark)
    public static class Memory {
        public InMemoryIdempotencyStore store;
        public ConcurrentHashMap<String, byte[]> map;
        public Cache<String, byte[]> cache;
        public final AtomicLong next = new AtomicLong();
        public final byte[] outcome = new byte[32];

        @Setup(Level.Trial)
        public void setup() {
            store = InMemoryIdempotencyStore.builder().maximumSize(2_000_000).build();
            store.complete("bench:run:dup", store.claim("bench:run:dup", "fp", "h", HOLD).fencingToken(), outcome);
            map = new ConcurrentHashMap<>();
            cache = Caffeine.newBuilder().maximumSize(2_000_000).expireAfterWrite(Duration.ofHours(24)).build();
            cache.put("bench:run:dup", outcome);
        }

        @Setup(Level.Iteration)
        public void bound() {
            map.clear(); // the baseline's map has no bound of its own: keep it at one iteration's keys
        }
    }

    static final Duration HOLD = Duration.ofMinutes(1);

    @Benchmark
    public boolean memoryClaimAndComplete(Memory m) {
        String key = "bench:run:" + m.next.incrementAndGet();
        ClaimResult r = m.store.claim(key, "fp", "h", HOLD);
        return r.status() == ClaimResult.Status.NEW && m.store.complete(key, r.fencingToken(), m.outcome);
    }

    /** Baseline for a new key: a map's putIfAbsent (the claim) and a bounded TTL cache's put (the outcome). */
    @Benchmark
    public boolean baselinePutIfAbsentPlusCaffeinePut(Memory m) {
        String key = "bench:run:" + m.next.incrementAndGet();
        boolean fresh = m.map.putIfAbsent(key, m.outcome) == null;
        m.cache.put(key, m.outcome);
        return fresh;
    }

    @Benchmark
    public ClaimResult memoryDuplicateClaim(Memory m) {
        return m.store.claim("bench:run:dup", "fp", "h2", HOLD);
    }

    /** Baseline for a duplicate: a hand-made dedup cache's lookup of a key it has (Caffeine getIfPresent). */
    @Benchmark
    public byte[] baselineCaffeineGetIfPresent(Memory m) {
        return m.cache.getIfPresent("bench:run:dup");
    }

    /** Embedded H2 in memory: the single-machine default without disk syncs. */
    @State(Scope.Benchmark)
    public static class H2 {
        public JdbcIdempotencyStore store;
        public final AtomicLong next = new AtomicLong();
        public final byte[] outcome = new byte[32];

        @Setup(Level.Trial)
        public void setup() {
            store = JdbcIdempotencyStore.builder("jdbc:h2:mem:bench" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "")
                .table("idem").build();
            store.complete("bench:run:dup", store.claim("bench:run:dup", "fp", "h", HOLD).fencingToken(), outcome);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            store.close();
        }
    }

    /** Two round trips: INSERT (claim) and UPDATE (complete). */
    @Benchmark
    public boolean h2ClaimAndComplete(H2 h) {
        String key = "bench:run:" + h.next.incrementAndGet();
        ClaimResult r = h.store.claim(key, "fp", "h", HOLD);
        return r.status() == ClaimResult.Status.NEW && h.store.complete(key, r.fencingToken(), h.outcome);
    }

    /** A duplicate: a failed INSERT (duplicate key) and a SELECT. */
    @Benchmark
    public ClaimResult h2DuplicateClaim(H2 h) {
        return h.store.claim("bench:run:dup", "fp", "h2", HOLD);
    }
}
