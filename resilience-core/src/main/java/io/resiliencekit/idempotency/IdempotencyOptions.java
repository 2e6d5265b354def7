package io.resiliencekit.idempotency;

import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.internal.Text;
import io.resiliencekit.idempotency.IdempotencyConfig.StoreKind;
import java.time.Duration;

/**
 * Option names of an {@link IdempotencyConfig} and their schema. With prefix {@code idempotency.}:
 * {@code store} (auto | memory | cluster | jdbc; auto: the cluster's ledger when the runtime is bound to
 * one, else memory), {@code name} and {@code maxEntries} (auto, memory), {@code url},
 * {@code user}, {@code password} (secret), {@code table} and {@code poolSize} (jdbc), {@code hold},
 * {@code ttl}, {@code inProgress} (wait | fail), {@code maxWait}, {@code pollInitial},
 * {@code pollMax}, {@code cacheFailures}. Types, ranges and defaults: {@code docs/options.md},
 * generated from {@link IdempotencyConfig#optionSchema()}. A key that only applies to the other
 * store kind is a problem, not silently ignored.
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

    /** Longest claim hold accepted in options. */
    static final Duration MAX_HOLD = Duration.ofDays(7);

    private static final OptionSchema.Declarer<IdempotencyConfig> D = OptionSchema.declarer(IdempotencyConfig.class);
    private static final String JDBC_ONLY = STORE + " is jdbc";

    static final OptionSchema.Option<IdempotencyConfig, StoreKind> STORE_OPTION = D.option(STORE,
        OptionType.enumeration(StoreKind.class, StoreKind.CUSTOM), StoreKind.AUTO, IdempotencyConfig::storeKind,
        "Where keys are kept: auto (the cluster's ledger when the runtime is bound to one, else memory), memory (one "
            + "store per runtime and name), cluster (the application's ledger) or jdbc (a table every JVM shares).");
    static final OptionSchema.Option<IdempotencyConfig, String> NAME_OPTION = D.option(NAME,
        OptionType.matching(IdempotencyConfig.NAME, "1-64 characters of letters, digits, '.', '_' or '-'"), "default",
        c -> inMemory(c.storeKind()) ? c.storeName() : null, "Name a memory store is shared by within a runtime.")
        .onlyWhen(STORE_OPTION, IdempotencyOptions::inMemory, STORE + " is auto or memory");
    static final OptionSchema.Option<IdempotencyConfig, Long> MAX_ENTRIES_OPTION = D.option(MAX_ENTRIES,
        OptionType.longInteger(1, Long.MAX_VALUE), 1_000_000L,
        c -> inMemory(c.storeKind()) ? c.maxEntries() : null, "Keys a memory store keeps at most.")
        .onlyWhen(STORE_OPTION, IdempotencyOptions::inMemory, STORE + " is auto or memory");
    static final OptionSchema.Option<IdempotencyConfig, String> URL_OPTION = D.option(URL,
        OptionType.jdbcUrl(), null, c -> c.storeKind() == StoreKind.JDBC ? c.jdbcUrl() : null,
        "JDBC URL of the store (PostgreSQL, or H2 such as jdbc:h2:file:/data/idem on one machine); required for jdbc.")
        .onlyWhen(STORE_OPTION, k -> k == StoreKind.JDBC, JDBC_ONLY);
    static final OptionSchema.Option<IdempotencyConfig, String> USER_OPTION = D.option(USER,
        OptionType.text(), null, c -> c.storeKind() == StoreKind.JDBC ? c.jdbcUser() : null, "Database user.")
        .onlyWhen(STORE_OPTION, k -> k == StoreKind.JDBC, JDBC_ONLY);
    static final OptionSchema.Option<IdempotencyConfig, String> PASSWORD_OPTION = D.option(PASSWORD,
        OptionType.text(), null, c -> c.storeKind() == StoreKind.JDBC ? c.jdbcPassword() : null, "Database password.")
        .secret().onlyWhen(STORE_OPTION, k -> k == StoreKind.JDBC, JDBC_ONLY);
    static final OptionSchema.Option<IdempotencyConfig, String> TABLE_OPTION = D.option(TABLE,
        OptionType.matching(IdempotencyConfig.TABLE, "an SQL identifier (letters, digits, '_', optionally schema.table)"),
        IdempotencyConfig.DEFAULT_TABLE, c -> c.storeKind() == StoreKind.JDBC ? c.table() : null,
        "Table of the jdbc store; created on demand.")
        .onlyWhen(STORE_OPTION, k -> k == StoreKind.JDBC, JDBC_ONLY);
    static final OptionSchema.Option<IdempotencyConfig, Integer> POOL_SIZE_OPTION = D.option(POOL_SIZE,
        OptionType.integer(1, 256), IdempotencyConfig.DEFAULT_POOL_SIZE,
        c -> c.storeKind() == StoreKind.JDBC ? c.poolSize() : null, "JDBC connections kept per JVM.")
        .onlyWhen(STORE_OPTION, k -> k == StoreKind.JDBC, JDBC_ONLY);
    static final OptionSchema.Option<IdempotencyConfig, Duration> HOLD_OPTION = D.option(HOLD,
        OptionType.duration(Duration.ofMillis(1), MAX_HOLD), IdempotencyConfig.DEFAULT_HOLD, IdempotencyConfig::hold,
        "How long a holder that died blocks its key; renewed while the holder lives, so it need not outlast the action.");
    static final OptionSchema.Option<IdempotencyConfig, Duration> TTL_OPTION = D.option(TTL,
        OptionType.duration(Duration.ofSeconds(1), Duration.ofDays(3650)), IdempotencyConfig.DEFAULT_TTL,
        IdempotencyConfig::ttl, "How long completed keys are remembered; longer than the longest gap before a re-run.");
    static final OptionSchema.Option<IdempotencyConfig, InProgressMode> IN_PROGRESS_OPTION = D.option(IN_PROGRESS,
        OptionType.enumeration(InProgressMode.class), InProgressMode.WAIT, IdempotencyConfig::inProgress,
        "What a caller does when another holds the key: wait for its outcome, or fail at once.");
    static final OptionSchema.Option<IdempotencyConfig, Duration> MAX_WAIT_OPTION = D.option(MAX_WAIT,
        OptionType.duration(Duration.ofMillis(1), MAX_HOLD.multipliedBy(2)), null, IdempotencyConfig::maxWait,
        "Longest wait on a key in progress elsewhere.").defaultDoc("2 x hold");
    static final OptionSchema.Option<IdempotencyConfig, Duration> POLL_INITIAL_OPTION = D.option(POLL_INITIAL,
        OptionType.duration(Duration.ofMillis(1), Duration.ofMinutes(10)), IdempotencyConfig.DEFAULT_POLL_INITIAL,
        IdempotencyConfig::pollInitial, "First poll interval while waiting; doubles up to pollMax.");
    static final OptionSchema.Option<IdempotencyConfig, Duration> POLL_MAX_OPTION = D.option(POLL_MAX,
        OptionType.duration(Duration.ofMillis(1), Duration.ofMinutes(10)), IdempotencyConfig.DEFAULT_POLL_MAX,
        IdempotencyConfig::pollMax, "Longest poll interval while waiting; at least pollInitial.")
        .defaultDoc("2s, or pollInitial if longer");
    static final OptionSchema.Option<IdempotencyConfig, Boolean> CACHE_FAILURES_OPTION = D.option(CACHE_FAILURES,
        OptionType.bool(), false, IdempotencyConfig::cacheFailures,
        "Remember failures too, so duplicates get the same exception instead of running again.");

    static final OptionSchema<IdempotencyConfig> SCHEMA = OptionSchema.<IdempotencyConfig>builder("Idempotency (`idempotency.*`)")
        .description("Every call with an idempotency key claims it in a store first: a new key runs, a completed one "
            + "returns the stored outcome without running, one in progress elsewhere waits or fails, and the same key "
            + "with another payload is an error. In a policy, setting any of these keys adds the guard.")
        .addAll(D)
        .build(IdempotencyOptions::fromValues);

    private IdempotencyOptions() {
    }

    // auto falls back to a memory store when no cluster is bound, so the memory settings apply to it
    private static boolean inMemory(StoreKind k) {
        return k == StoreKind.AUTO || k == StoreKind.MEMORY;
    }

    private static IdempotencyConfig fromValues(OptionSchema.Values v) {
        IdempotencyConfig.Builder b = IdempotencyConfig.builder();
        Duration pollInitial = v.get(POLL_INITIAL_OPTION);
        Duration pollMax = v.isSet(POLL_MAX_OPTION) || pollInitial.compareTo(v.get(POLL_MAX_OPTION)) <= 0
            ? v.get(POLL_MAX_OPTION) : pollInitial;
        if (pollMax.compareTo(pollInitial) < 0) {
            v.problem(POLL_MAX_OPTION, "must not be below " + v.key(POLL_INITIAL_OPTION) + " (" + Text.duration(pollInitial) + ")");
            pollMax = pollInitial;
        }
        b.storeName(v.get(NAME_OPTION)).maxEntries(v.get(MAX_ENTRIES_OPTION)).table(v.get(TABLE_OPTION))
            .poolSize(v.get(POOL_SIZE_OPTION)).hold(v.get(HOLD_OPTION)).ttl(v.get(TTL_OPTION))
            .inProgress(v.get(IN_PROGRESS_OPTION)).poll(pollInitial, pollMax).cacheFailures(v.get(CACHE_FAILURES_OPTION));
        if (v.get(MAX_WAIT_OPTION) != null) {
            b.maxWait(v.get(MAX_WAIT_OPTION));
        }
        StoreKind kind = v.get(STORE_OPTION);
        if (kind == StoreKind.MEMORY) {
            b.memory(v.get(NAME_OPTION));
        } else if (kind == StoreKind.CLUSTER) {
            b.cluster();
        } else if (kind == StoreKind.JDBC) {
            if (v.get(URL_OPTION) != null) {
                b.jdbc(v.get(URL_OPTION), v.get(USER_OPTION), v.get(PASSWORD_OPTION));
            } else if (v.isValid(URL_OPTION)) {
                v.problem(URL_OPTION, "is required when " + v.key(STORE_OPTION) + " is jdbc");
            }
        }
        return b.build();
    }

    /**
     * Parses every option under {@code prefix} (unknown ones are problems too) and throws one
     * {@link io.resiliencekit.config.ConfigException} listing all problems in {@code o}.
     */
    public static IdempotencyConfig fromOptions(Options o, String prefix) {
        String p = prefix == null ? "" : prefix;
        IdempotencyConfig c = SCHEMA.read(o, p, !p.isEmpty());
        o.throwIfInvalid();
        return c;
    }
}
