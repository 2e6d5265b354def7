package io.resiliencekit.idempotency;

import io.resiliencekit.config.Options;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Option names of an {@link IdempotencyConfig} and their parser. With prefix {@code idempotency.}:
 *
 * <pre>
 * idempotency.store          auto | memory | cluster | jdbc          (default auto: the cluster's ledger when bound to one, else memory)
 * idempotency.name           per-JVM store name for memory stores    (default "default")
 * idempotency.maxEntries     bound of a memory store                 (default 1000000)
 * idempotency.url            JDBC url, required for jdbc
 * idempotency.user           JDBC user
 * idempotency.password       JDBC password (secret: never shown)
 * idempotency.table          SQL table, created on demand            (default resiliencekit_idempotency)
 * idempotency.poolSize       JDBC connections per JVM                (default 4)
 * idempotency.hold           how long a dead holder blocks its key   (default 5m; renewed while it lives)
 * idempotency.ttl            how long completed keys are remembered  (default 24h)
 * idempotency.inProgress     wait | fail                             (default wait)
 * idempotency.maxWait        longest wait on an in-progress key      (default 2 x hold)
 * idempotency.pollInitial    first poll interval while waiting       (default 50ms)
 * idempotency.pollMax        longest poll interval                   (default 2s)
 * idempotency.cacheFailures  remember failures for duplicates        (default false)
 * </pre>
 *
 * <pre>{@code
 * IdempotencyConfig c = IdempotencyOptions.fromOptions(Options.of(sparkOptions), "idempotency.");
 * }</pre>
 */
public final class IdempotencyOptions {

    public static final String STORE = "store";
    public static final String NAME = "name";
    public static final String MAX_ENTRIES = "maxEntries";
    public static final String URL = "url";
    public static final String USER = "user";
    public static final String PASSWORD = "password";
    public static final String TABLE = "table";
    public static final String POOL_SIZE = "poolSize";
    public static final String HOLD = "hold";
    public static final String TTL = "ttl";
    public static final String IN_PROGRESS = "inProgress";
    public static final String MAX_WAIT = "maxWait";
    public static final String POLL_INITIAL = "pollInitial";
    public static final String POLL_MAX = "pollMax";
    public static final String CACHE_FAILURES = "cacheFailures";

    private static final Pattern JDBC_URL = Pattern.compile("jdbc:[a-zA-Z0-9]+:.+");

    private IdempotencyOptions() {
    }

    /**
     * Parses every option under {@code prefix} (unknown ones are problems too) and throws one
     * {@link io.resiliencekit.config.ConfigException} listing all problems.
     */
    public static IdempotencyConfig fromOptions(Options o, String prefix) {
        String p = prefix == null ? "" : prefix;
        IdempotencyConfig.Builder b = IdempotencyConfig.builder();
        String kind = o.string(p + STORE, "auto").toLowerCase(Locale.ROOT);
        String name = o.matching(p + NAME, "default", IdempotencyConfig.NAME,
            "1-64 characters of letters, digits, '.', '_' or '-'");
        long maxEntries = o.longValue(p + MAX_ENTRIES, 1_000_000L, 1L, Long.MAX_VALUE);
        String table = o.matching(p + TABLE, "resiliencekit_idempotency", IdempotencyConfig.TABLE,
            "an SQL identifier (letters, digits, '_', optionally schema.table)");
        int poolSize = o.intValue(p + POOL_SIZE, 4, 1, 256);
        Duration hold = o.duration(p + HOLD, Duration.ofMinutes(5), Duration.ofMillis(1), Duration.ofDays(7));
        Duration ttl = o.duration(p + TTL, Duration.ofHours(24), Duration.ofSeconds(1), Duration.ofDays(3650));
        InProgressMode mode = o.enumValue(p + IN_PROGRESS, InProgressMode.WAIT, InProgressMode.class);
        Duration maxWait = o.has(p + MAX_WAIT)
            ? o.duration(p + MAX_WAIT, null, Duration.ofMillis(1), Duration.ofDays(7)) : null;
        Duration pollInitial = o.duration(p + POLL_INITIAL, Duration.ofMillis(50), Duration.ofMillis(1), Duration.ofMinutes(10));
        Duration pollMax = o.duration(p + POLL_MAX, Duration.ofSeconds(2), Duration.ofMillis(1), Duration.ofMinutes(10));
        if (pollMax.compareTo(pollInitial) < 0) {
            o.problem(p + POLL_MAX, "must not be below " + p + POLL_INITIAL + " (" + pollInitial.toMillis() + "ms)");
            pollMax = pollInitial;
        }
        boolean cacheFailures = o.booleanValue(p + CACHE_FAILURES, false);
        String url = o.string(p + URL).orElse(null);
        String user = o.string(p + USER).orElse(null);
        String password = o.string(p + PASSWORD).orElse(null);
        switch (kind) {
            case "auto":
            case "memory":
            case "cluster":
                break;
            case "jdbc":
                if (url == null) {
                    o.problem(p + URL, "is required when " + p + STORE + " is jdbc");
                } else if (!JDBC_URL.matcher(url).matches()) {
                    o.problem(p + URL, "must be a JDBC url such as jdbc:postgresql://host/db or jdbc:h2:file:/path, was '"
                        + url + "'");
                }
                break;
            default:
                o.problem(p + STORE, "must be one of [auto, memory, cluster, jdbc], was '" + kind + "'");
        }
        if (!p.isEmpty()) {
            o.rejectUnknown(p);
        }
        o.throwIfInvalid();

        b.storeName(name).maxEntries(maxEntries).table(table).poolSize(poolSize).hold(hold).ttl(ttl).inProgress(mode)
            .poll(pollInitial, pollMax).cacheFailures(cacheFailures);
        if (maxWait != null) {
            b.maxWait(maxWait);
        }
        if (kind.equals("jdbc")) {
            b.jdbc(url, user, password);
        } else if (kind.equals("memory")) {
            b.memory(name);
        } else if (kind.equals("cluster")) {
            b.cluster();
        }
        return b.build();
    }
}
