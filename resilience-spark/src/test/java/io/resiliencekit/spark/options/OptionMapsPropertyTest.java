package io.resiliencekit.spark.options;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.Options;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.IdempotencyOptions;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.ratelimit.TokenBucketConfig;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.partition.PartitionOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, done-when 2: seeded generated option maps fed to every string-option entry point.
 * Each map is either accepted with every value meaningful (each key it sets is in the result's
 * {@code toOptions} with an equivalent value, and the result round-trips), or rejected with one
 * {@link ConfigException} that names every bad key and only keys the map has (or required ones).
 * Nothing else may escape.
 *
 * <p>The oracle is independent of the parsers: for every key this test knows, by hand, what a
 * valid and an invalid value look like (ranges from the documented contract). The schemas only
 * tell it which keys exist, so that a key added without a generator here fails the test.
 */
class OptionMapsPropertyTest {

    static final long SEED = 13_2026L;
    static final int MAPS_PER_ENTRY_POINT = 10_000;

    enum Kind { NUMBER, DURATION, BOOL, ENUM, TEXT, CLASSES }

    /** How to make a valid and an invalid value of one key. */
    record Key(String key, Kind kind, Function<SplittableRandom, String> valid, Function<SplittableRandom, String> invalid) {
    }

    /** One string-option entry point: its keys, what it requires, how to parse and how to write back. */
    record EntryPoint(String name, String prefix, List<Key> keys, Set<String> required, boolean rejectsOutsidePrefix,
                      Function<Map<String, String>, Object> parse, Function<Object, Map<String, String>> back,
                      OptionSchema<?> schema, String schemaPrefix) {
    }

    // ---- value generators: ranges as documented, written out here, not read from the schemas ----

    static Key integer(String key, long min, long max) {
        return new Key(key, Kind.NUMBER, r -> Long.toString(pick(r, min, max)), r -> oneOf(r,
            min > Long.MIN_VALUE ? Long.toString(min - 1) : "x1", max < Long.MAX_VALUE ? Long.toString(max + 1) : "9".repeat(25),
            "abc", "1.5", "7\u0000", "9".repeat(30)));
    }

    static long pick(SplittableRandom r, long min, long max) {
        switch (r.nextInt(4)) {
            case 0: return min;
            case 1: return max;
            default: return min + (long) (r.nextDouble() * ((double) max - (double) min));
        }
    }

    static Key decimal(String key, double min, double max, boolean minExclusive) {
        return new Key(key, Kind.NUMBER, r -> {
            double v = r.nextInt(3) == 0 ? max : min + r.nextDouble() * (max - min);
            if (minExclusive && v <= min) {
                v = max;
            }
            return Double.toString(v);
        }, r -> oneOf(r, "abc", "NaN", Double.toString(max * 2 + 1), minExclusive ? Double.toString(min) : Double.toString(min - 1),
            "0x", "--1"));
    }

    static Key duration(String key, Duration min, Duration max) {
        return new Key(key, Kind.DURATION, r -> {
            long lo = min.toNanos();
            long hi = max.toNanos();
            long nanos = pick(r, lo, hi);
            for (long unit : new long[] {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L}) {
                if (nanos >= unit && r.nextBoolean()) {
                    long n = Math.max(lo == 0 ? 0 : (lo + unit - 1) / unit, Math.min(hi / unit, nanos / unit));
                    if (n * unit >= lo && n * unit <= hi) {
                        return r.nextInt(5) == 0 ? Duration.ofNanos(n * unit).toString() : n + unitName(unit);
                    }
                }
            }
            return nanos + "ns";
        }, r -> oneOf(r, "soon", "-1s", "5 parsecs", "PTXS", Long.toString(max.toDays() + 2) + "d",
            min.isZero() ? "eleventy" : (min.toNanos() / 2) + "ns"));
    }

    static String unitName(long unit) {
        return unit == 86_400_000_000_000L ? "d" : unit == 3_600_000_000_000L ? "h" : unit == 60_000_000_000L ? "m"
            : unit == 1_000_000_000L ? "s" : "ms";
    }

    static Key bool(String key) {
        return new Key(key, Kind.BOOL, r -> oneOf(r, "true", "false", "TRUE", "False"), r -> oneOf(r, "yes", "1", "on"));
    }

    static Key enumeration(String key, String... values) {
        return new Key(key, Kind.ENUM, r -> {
            String v = oneOf(r, values);
            return r.nextBoolean() ? v : v.toUpperCase(Locale.ROOT);
        }, r -> oneOf(r, "bogus", "sometimes"));
    }

    static Key text(String key, String... valid) {
        return new Key(key, Kind.TEXT, r -> oneOf(r, valid), r -> oneOf(r, "a\u0000b", "line\nbreak"));
    }

    static Key pattern(String key, String[] valid, String... invalid) {
        return new Key(key, Kind.TEXT, r -> oneOf(r, valid), r -> oneOf(r, invalid));
    }

    /** A key that is never acceptable, whatever its value (a reserved or malformed header name). */
    static Key alwaysBad(String key, String value) {
        return new Key(key, Kind.TEXT, null, r -> value);
    }

    @SafeVarargs
    static <T> T oneOf(SplittableRandom r, T... options) {
        return options[r.nextInt(options.length)];
    }

    static String[] a(String... s) {
        return s;
    }

    // ---- the keys of each section ----

    static List<Key> retryKeys(String p) {
        return List.of(integer(p + "maxAttempts", 1, 1000), duration(p + "maxDuration", Duration.ofMillis(1), Duration.ofDays(7)),
            duration(p + "baseDelay", Duration.ZERO, Duration.ofHours(1)), decimal(p + "multiplier", 1, 100, false),
            duration(p + "maxDelay", Duration.ZERO, Duration.ofDays(1)),
            enumeration(p + "jitter", "none", "full", "equal", "decorrelated"),
            duration(p + "retryAfterCap", Duration.ZERO, Duration.ofDays(1)), integer(p + "seed", Long.MIN_VALUE, Long.MAX_VALUE),
            bool(p + "budget.enabled"), decimal(p + "budget.ratio", 0, 1000, false), integer(p + "budget.reserve", 0, 1_000_000),
            new Key(p + "abortOn", Kind.CLASSES, r -> oneOf(r, "java.io.IOException", "java.io.IOException, java.lang.IllegalStateException"),
                r -> oneOf(r, "no.such.Failure", "java.lang.String")));
    }

    static List<Key> breakerKeys(String p) {
        Duration year = Duration.ofDays(365);
        return List.of(text(p + "name", "orders", "b-1"), enumeration(p + "windowType", "count", "time"),
            integer(p + "windowSize", 1, 1_000_000), duration(p + "windowDuration", Duration.ofMillis(1), year),
            decimal(p + "failureRateThreshold", 0, 1, true), integer(p + "minimumCalls", 1, 1_000_000),
            duration(p + "slowCallDuration", Duration.ofNanos(1), year), decimal(p + "slowCallRateThreshold", 0, 1, true),
            integer(p + "halfOpenCalls", 1, 10_000), duration(p + "openDuration", Duration.ofNanos(1), year),
            decimal(p + "openDurationMultiplier", 1, 100, false), duration(p + "maxOpenDuration", Duration.ofNanos(1), year));
    }

    static final String[] JDBC_URLS = a("jdbc:postgresql://db:5432/app", "jdbc:h2:mem:x;DB_CLOSE_DELAY=-1",
        "jdbc:postgresql://db/app?ssl=true");
    static final String[] BAD_JDBC_URLS = a("postgresql://db/app", "jdbc postgresql://db", "http://db", "jdbc:pg:\u0000x");

    static List<Key> rateLimitKeys(String p) {
        return List.of(pattern(p + "name", a("orders", "api:v1", "a.b-c_d"), "bad name!", "x".repeat(201), "a/b"),
            decimal(p + "rate", 0, 1e12, true), integer(p + "burst", 1, 1_000_000_000_000_000L),
            decimal(p + "maxRate", 0, 1e12, true), enumeration(p + "throttleScope", "bucket", "jvm"),
            enumeration(p + "mode", "auto", "local", "leased"), enumeration(p + "authority", "inprocess", "cluster", "jdbc"),
            duration(p + "leasePeriod", Duration.ofMillis(20), Duration.ofMinutes(10)), integer(p + "expectedClients", 1, 100_000),
            pattern(p + "jdbc.url", JDBC_URLS, BAD_JDBC_URLS), text(p + "jdbc.user", "app", "quota"),
            text(p + "jdbc.password", "hunter2", "s3cr3t"),
            pattern(p + "jdbc.table", a("quota", "app.quota", "_q1"), "quota; DROP TABLE x", "1abc", "a.b.c"));
    }

    static List<Key> idempotencyKeys(String p) {
        return List.of(enumeration(p + "store", "auto", "memory", "cluster", "jdbc"), pattern(p + "name", a("default", "orders", "a.b-c"), "bad name", "x".repeat(65)),
            integer(p + "maxEntries", 1, Long.MAX_VALUE), pattern(p + "url", JDBC_URLS, BAD_JDBC_URLS),
            text(p + "user", "app"), text(p + "password", "hunter2"),
            pattern(p + "table", a("idem", "app.idem"), "x;drop", "1x"), integer(p + "poolSize", 1, 256),
            duration(p + "hold", Duration.ofMillis(1), Duration.ofDays(7)), duration(p + "ttl", Duration.ofSeconds(1), Duration.ofDays(3650)),
            enumeration(p + "inProgress", "wait", "fail"), duration(p + "maxWait", Duration.ofMillis(1), Duration.ofDays(14)),
            duration(p + "pollInitial", Duration.ofMillis(1), Duration.ofMinutes(10)),
            duration(p + "pollMax", Duration.ofMillis(1), Duration.ofMinutes(10)), bool(p + "cacheFailures"));
    }

    static List<Key> policyKeys() {
        List<Key> k = new ArrayList<>(List.of(pattern("name", a("orders-api", "p", "a.b_c-1"), "orders api!", "x".repeat(65), "-x"),
            integer("metrics.latencySampling", 0, 1 << 20), duration("rateLimit.maxWait", Duration.ZERO, Duration.ofDays(1)),
            bool("breaker.enabled")));
        k.addAll(retryKeys("retry."));
        k.addAll(breakerKeys("breaker."));
        k.addAll(rateLimitKeys("rateLimit."));
        k.addAll(idempotencyKeys("idempotency."));
        return k;
    }

    static List<Key> httpKeys(String p) {
        return List.of(pattern(p + "baseUri", a("https://api.example.com/v1", "http://127.0.0.1:8080"),
                "ftp://files.example.com", "https://api.example.com/v1?api_key=k", "https://api example.com", "/v1"),
            duration(p + "connectTimeout", Duration.ofMillis(1), Duration.ofMinutes(10)),
            duration(p + "requestTimeout", Duration.ofMillis(1), Duration.ofHours(1)),
            pattern(p + "header.X-Trace", a("on", "Bearer abc"), "a\nb"), pattern(p + "header.Authorization", a("Bearer t0k3n"), "x\r\ny"),
            alwaysBad(p + "header.Host", "example.com"), alwaysBad(p + "header.Bad Name", "v"));
    }

    static List<Key> partitionKeys() {
        String p = "partition.";
        return List.of(pattern(p + "runId", a("2024-06-01", "batch-42", "2026-01-31T10:00"),
                "1764590000000", "attempt-2", "2024-06-01T10:00:00.123", "r".repeat(200), "bad id!"),
            pattern(p + "jobId", a("orders-job", "j1"), "bad id!", "-x"), bool(p + "idempotencyKeys"),
            pattern(p + "keyNamespace", a("rk", "orders"), "bad ns", ""),
            integer(p + "batchSize", 1, 100_000), bool(p + "continueOnError"),
            pattern(p + "deadLetterPath", a("/tmp/dlq", "file:///tmp/dlq", "relative/dlq"), "s3://bucket/dlq",
                "nosuchfs://x/dlq", "/tmp/dl\u0000q"),
            bool(p + "metricsLog"), duration(p + "outageMaxWait", Duration.ZERO, Duration.ofDays(1)),
            // auto (any case) or a number: compared ignoring case, as an enumeration's value
            new Key(p + "concurrency", Kind.ENUM, r -> oneOf(r, "auto", "AUTO", "1", "16", "256"),
                r -> oneOf(r, "0", "257", "-1", "many")));
    }

    static List<Key> pluginKeys() {
        String p = PluginOptions.PREFIX;
        return List.of(integer(p + "rpc.threads", 1, 64), duration(p + "breaker.pollInterval", Duration.ofMillis(10), Duration.ofSeconds(30)),
            integer(p + "breaker.halfOpenTrials", 0, 10_000), duration(p + "breaker.trialTimeout", Duration.ofMillis(100), Duration.ofHours(1)),
            integer(p + "ledger.maxKeys", 1, 1_000_000_000L), duration(p + "ledger.ttl", Duration.ofSeconds(1), Duration.ofDays(365)),
            pattern(p + "ledger.location", a("/var/lib/job/ledger", "/tmp/orders-ledger", "jdbc:postgresql://db:5432/app",
                "jdbc:h2:file:/data/ledger"), "relative/ledger", "ledger", "jdbc:postgresql", "/tmp/le\u0000dger"),
            decimal(p + "limiter.orders.rate", 1e-6, 1e9, false), integer(p + "limiter.orders.burst", 1, Long.MAX_VALUE / 4),
            decimal(p + "limiter.orders.maxRate", 1e-6, 1e9, false),
            decimal(p + "limiter.api-2.rate", 1e-6, 1e9, false), integer(p + "limiter.api-2.burst", 1, Long.MAX_VALUE / 4));
    }

    static List<EntryPoint> entryPoints() {
        Set<String> policyRequired = Set.of("name", "rateLimit.rate", "rateLimit.jdbc.url", "idempotency.url");
        return List.of(
            new EntryPoint("ResiliencePolicyConfig.fromOptions", "", policyKeys(), policyRequired, true,
                ResiliencePolicyConfig::fromOptions, c -> ((ResiliencePolicyConfig) c).toOptions(),
                ResiliencePolicyConfig.optionSchema(), ""),
            new EntryPoint("RetryConfig.fromOptions", "retry.", retryKeys("retry."), Set.of(), false,
                RetryConfig::fromOptions, c -> ((RetryConfig) c).toOptions("retry."), RetryConfig.optionSchema(), "retry."),
            new EntryPoint("CircuitBreakerConfig.fromOptions", "breaker.", breakerKeys("breaker."), Set.of(), false,
                m -> CircuitBreakerConfig.fromOptions(m, "breaker."), c -> ((CircuitBreakerConfig) c).toOptions("breaker."),
                CircuitBreakerConfig.optionSchema(), "breaker."),
            new EntryPoint("TokenBucketConfig.parse", "rateLimit.", rateLimitKeys("rateLimit."),
                Set.of("rateLimit.rate", "rateLimit.jdbc.url"), false, m -> TokenBucketConfig.parse(m, "rateLimit."),
                c -> ((TokenBucketConfig) c).toOptions("rateLimit."), TokenBucketConfig.optionSchema(), "rateLimit."),
            new EntryPoint("RateLimiters.fromOptions", "rateLimit.", rateLimitKeys("rateLimit."),
                Set.of("rateLimit.rate", "rateLimit.jdbc.url"), false, m -> RateLimiters.fromOptions(m, "rateLimit."),
                c -> ((TokenBucketFactory) c).config().toOptions("rateLimit."), TokenBucketConfig.optionSchema(), "rateLimit."),
            new EntryPoint("IdempotencyOptions.fromOptions", "idempotency.", idempotencyKeys("idempotency."),
                Set.of("idempotency.url"), false, m -> IdempotencyOptions.fromOptions(Options.of(m), "idempotency."),
                c -> ((IdempotencyConfig) c).toOptions("idempotency."), IdempotencyConfig.optionSchema(), "idempotency."),
            new EntryPoint("HttpJsonClientConfig.fromOptions", "http.", httpKeys("http."), Set.of("http.baseUri"), false,
                m -> HttpJsonClientConfig.fromOptions(m, "http."), c -> ((HttpJsonClientConfig) c).toOptions("http."),
                HttpJsonClientConfig.optionSchema(), "http."),
            new EntryPoint("PartitionOptions.fromOptions", "partition.", partitionKeys(),
                Set.of("partition.runId", "partition.deadLetterPath"), false, PartitionOptions::fromOptions,
                c -> ((PartitionOptions) c).toOptions(), PartitionOptions.optionSchema(), PartitionOptions.PREFIX),
            new EntryPoint("PluginOptions.fromOptions", PluginOptions.PREFIX, pluginKeys(),
                Set.of(PluginOptions.PREFIX + "limiter.orders.rate", PluginOptions.PREFIX + "limiter.api-2.rate"), false,
                PluginOptions::fromOptions, c -> ((PluginOptions) c).toOptions(), PluginOptions.optionSchema(), PluginOptions.PREFIX));
    }

    @Test
    void everySchemaKeyHasAGeneratorHere() {
        for (EntryPoint e : entryPoints()) {
            Set<String> mine = new TreeSet<>();
            e.keys().forEach(k -> mine.add(k.key().replaceAll("header\\.[^.]+$", "header.<name>")
                .replaceAll("limiter\\.[^.]+\\.", "limiter.<name>.")));
            assertThat(mine).as(e.name()).containsAll(e.schema().keys(e.schemaPrefix()));
        }
    }

    /** What one generated map holds and which of its keys the generator made bad on purpose. */
    record Generated(Map<String, String> map, Set<String> badKeys, Map<String, Key> keyOf) {
    }

    static Generated generate(EntryPoint e, SplittableRandom r) {
        Map<String, String> m = new HashMap<>();
        Set<String> bad = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Map<String, Key> keyOf = new HashMap<>();
        List<Key> keys = new ArrayList<>(e.keys());
        if (e.name().startsWith("ResiliencePolicy") && r.nextInt(10) != 0) {
            put(m, keyOf, keys.get(0), keys.get(0).valid().apply(r), r);
        }
        int n = r.nextInt(9);
        for (int i = 0; i < n; i++) {
            Key k = keys.get(r.nextInt(keys.size()));
            if (keyOf.containsValue(k)) {
                continue;
            }
            int roll = k.valid() == null ? 99 : r.nextInt(100);
            String value;
            if (roll < 4) {
                value = oneOf(r, "", "   ");                       // blank: the same as not set
            } else if (roll < 74) {
                value = k.valid().apply(r);
            } else if (roll < 75 && k.kind() != Kind.TEXT) {
                value = "9".repeat(100_000);                       // huge: must not be echoed whole
            } else {
                value = k.invalid().apply(r);
            }
            String given = put(m, keyOf, k, value, r);
            if (roll >= 74 && !value.isBlank()) {
                bad.add(given);
            }
        }
        if (r.nextInt(10) == 0) {                                  // a typo of a known key, under the prefix
            Key k = keys.get(r.nextInt(keys.size()));
            if (k.key().contains("header.") || k.key().contains("limiter.")) {
                return new Generated(m, bad, keyOf);              // in a key family a "typo" is just another name
            }
            String typo = typo(k.key(), e.prefix().length(), r);
            if (e.keys().stream().noneMatch(x -> x.key().equalsIgnoreCase(typo))) {
                m.put(typo, "1");
                bad.add(typo);
            }
        }
        if (e.rejectsOutsidePrefix() && r.nextInt(20) == 0) {      // a foreign key in a policy map
            m.put("spark.app.name", "job");
            bad.add("spark.app.name");
        }
        if (r.nextInt(50) == 0) {
            m.put(null, "x");
            bad.add("(null key)");
        }
        return new Generated(m, bad, keyOf);
    }

    static String put(Map<String, String> m, Map<String, Key> keyOf, Key k, String value, SplittableRandom r) {
        // Spark lower-cases DataSource option names
        String given = r.nextInt(4) == 0 ? k.key().toLowerCase(Locale.ROOT) : k.key();
        m.put(given, value);
        keyOf.put(given, k);
        return given;
    }

    static String typo(String key, int from, SplittableRandom r) {
        char[] c = key.toCharArray();
        int i = from + r.nextInt(Math.max(1, c.length - from - 1));
        if (i + 1 < c.length) {
            char t = c[i];
            c[i] = c[i + 1];
            c[i + 1] = t;
        }
        String swapped = new String(c);
        return swapped.equals(key) ? key + "x" : swapped;
    }

    @Test
    void generatedMapsAreAcceptedMeaningfullyOrRejectedNamingEveryBadKey() {
        long start = System.nanoTime();
        int accepted = 0;
        int rejected = 0;
        List<EntryPoint> entries = entryPoints();
        for (int ei = 0; ei < entries.size(); ei++) {
            EntryPoint e = entries.get(ei);
            long entryStart = System.nanoTime();
            for (int i = 0; i < MAPS_PER_ENTRY_POINT; i++) {
                long seed = SEED * 1_000_003L + ei * 100_000L + i;
                Generated g = generate(e, new SplittableRandom(seed));
                // plain checks in the loop (AssertJ would cost more than the parsing); the message only on failure
                Function<String, AssertionError> fail = why -> new AssertionError(e.name() + " map #" + seed % 100_000
                    + " (seed " + seed + "): " + shown(g.map()) + "\n" + why);
                Object result;
                try {
                    result = e.parse().apply(g.map());
                } catch (ConfigException ex) {
                    checkRejection(e, g, ex, fail);
                    rejected++;
                    continue;
                } catch (Throwable t) {
                    AssertionError a = fail.apply("threw " + t);
                    a.initCause(t);
                    throw a;
                }
                checkAcceptance(e, g, result, fail);
                accepted++;
            }
            System.out.printf(Locale.ROOT, "%s: %d maps in %d ms%n", e.name(), MAPS_PER_ENTRY_POINT,
                (System.nanoTime() - entryStart) / 1_000_000);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf(Locale.ROOT, "%d entry points x %d maps: %d accepted, %d rejected, %d ms%n",
            entries.size(), MAPS_PER_ENTRY_POINT, accepted, rejected, ms);
        // the generator must exercise both outcomes, or the property says little
        assertThat(accepted).isGreaterThan(entries.size() * MAPS_PER_ENTRY_POINT / 10);
        assertThat(rejected).isGreaterThan(entries.size() * MAPS_PER_ENTRY_POINT / 10);
    }

    static void checkRejection(EntryPoint e, Generated g, ConfigException ex, Function<String, AssertionError> fail) {
        List<String> problems = ex.problems();
        if (problems.isEmpty()) {
            throw fail.apply("a ConfigException without problems");
        }
        List<String> lower = problems.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
        for (String bad : g.badKeys()) {
            String start = bad.toLowerCase(Locale.ROOT) + ":";
            if (lower.stream().noneMatch(p -> p.startsWith(start))) {
                throw fail.apply("the problems " + problems + " do not name the bad key " + bad);
            }
        }
        for (String p : problems) {
            String key = p.substring(0, Math.max(0, p.indexOf(": ")));
            boolean given = g.map().keySet().stream().anyMatch(k -> k != null && k.equalsIgnoreCase(key));
            boolean required = e.required().stream().anyMatch(k -> k.equalsIgnoreCase(key));
            if (!given && !required && !key.equals("(null key)")) {
                throw fail.apply("a problem names a key the map does not have: " + p);
            }
            if (p.length() >= 700 || p.chars().anyMatch(Character::isISOControl)) {
                throw fail.apply("a problem is too long or holds a control character: " + shown(p));
            }
        }
    }

    static void checkAcceptance(EntryPoint e, Generated g, Object result, Function<String, AssertionError> fail) {
        if (!g.badKeys().isEmpty()) {
            throw fail.apply("accepted although it has bad keys " + g.badKeys());
        }
        Map<String, String> back = e.back().apply(result);
        for (Map.Entry<String, String> given : g.map().entrySet()) {
            if (given.getKey() == null || given.getValue().isBlank() || !given.getKey().toLowerCase(Locale.ROOT)
                    .startsWith(e.prefix().toLowerCase(Locale.ROOT))) {
                continue;
            }
            Key k = g.keyOf().get(given.getKey());
            String out = back.entrySet().stream().filter(b -> b.getKey().equalsIgnoreCase(k.key())).map(Map.Entry::getValue)
                .findFirst().orElse(null);
            if (out == null) {
                throw fail.apply(given.getKey() + " was accepted but has no effect (toOptions: " + back.keySet() + ")");
            }
            if (!equivalent(k.kind(), given.getValue(), out)) {
                throw fail.apply(given.getKey() + "=" + shown(given.getValue()) + " came back as " + out);
            }
        }
        if (!e.parse().apply(back).equals(result)) {
            throw fail.apply("does not round-trip through " + back);
        }
    }

    static boolean equivalent(Kind kind, String given, String out) {
        String g = given.trim();
        switch (kind) {
            case NUMBER:
                return Double.compare(Double.parseDouble(g), Double.parseDouble(out)) == 0;
            case DURATION:
                return Options.parseDuration(g).equals(Options.parseDuration(out));
            case BOOL:
            case ENUM:
                return g.equalsIgnoreCase(out);
            case CLASSES:
                return Arrays.asList(g.split("\\s*,\\s*")).equals(Arrays.asList(out.split(",")));
            default:
                return g.equals(out);
        }
    }

    static String shown(Map<String, String> m) {
        Map<String, String> s = new LinkedHashMap<>();
        m.forEach((k, v) -> s.put(k == null ? null : shown(k), shown(v)));
        return s.toString();
    }

    static String shown(String v) {
        String e = v.replace("\u0000", "\\0").replace("\n", "\\n").replace("\r", "\\r");
        return e.length() > 60 ? e.substring(0, 40) + "...(" + e.length() + ")" : e;
    }
}
