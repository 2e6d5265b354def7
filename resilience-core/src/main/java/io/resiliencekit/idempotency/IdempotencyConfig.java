package io.resiliencekit.idempotency;

import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.Secrets;
import io.resiliencekit.config.internal.Text;
import io.resiliencekit.spi.BindingContext;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.IdempotencyStoreFactory;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.IdempotencyGuardFactory;
import io.resiliencekit.idempotency.internal.HoldKeeper;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.time.Ticker;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Immutable, serializable spec of an idempotency guard: which store, how long a claim is held,
 * how long completed keys are remembered, and what to do when a key is in progress elsewhere.
 * It is also the {@link IdempotencyGuardFactory} the composed policy takes; stores are shared
 * per runtime by store id (see {@link #store}).
 *
 * <pre>{@code
 * IdempotencyConfig idem = IdempotencyConfig.builder()
 *     .jdbc("jdbc:postgresql://db/app", "app", password)
 *     .table("payments_idempotency")
 *     .hold(Duration.ofMinutes(2))          // how long others wait for a holder that died (renewed while it lives)
 *     .ttl(Duration.ofDays(7))              // longer than the longest gap before a re-run
 *     .inProgress(InProgressMode.WAIT)
 *     .build();
 * ResiliencePolicy policy = ResiliencePolicy.builder("payments").idempotency(idem).build();
 *
 * // or from options ("idempotency.store=jdbc", "idempotency.url=...", ...), see IdempotencyOptions
 * IdempotencyConfig same = IdempotencyConfig.fromOptions(Options.of(map), "idempotency.");
 * }</pre>
 */
public final class IdempotencyConfig implements IdempotencyGuardFactory {

    private static final long serialVersionUID = 1L;

    /** Where keys are kept. */
    public enum StoreKind {
        /** The cluster's ledger when the runtime is bound to a cluster (the Spark plugin), else {@link #MEMORY}. The default. */
        AUTO,
        /** {@link InMemoryIdempotencyStore}, one per runtime and {@link #storeName()}. */
        MEMORY,
        /** The cluster's ledger; without a cluster, {@link #MEMORY} after one warning. */
        CLUSTER,
        /** {@link JdbcIdempotencyStore} on {@link #jdbcUrl()}, one per runtime, url, user and table. */
        JDBC,
        /** A store built in each runtime by a serializable {@link IdempotencyStoreFactory}, one per runtime and name. */
        CUSTOM
    }

    static final Pattern TABLE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}");
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._\\-]{1,64}");
    static final String DEFAULT_TABLE = "resiliencekit_idempotency";
    static final int DEFAULT_POOL_SIZE = 4;
    static final Duration DEFAULT_HOLD = Duration.ofMinutes(5);
    static final Duration DEFAULT_TTL = Duration.ofHours(24);
    static final Duration DEFAULT_POLL_INITIAL = Duration.ofMillis(50);
    static final Duration DEFAULT_POLL_MAX = Duration.ofSeconds(2);

    private final StoreKind storeKind;
    private final String storeName;
    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPassword;
    private final String table;
    private final int poolSize;
    private final long maxEntries;
    private final Duration hold;
    private final Duration ttl;
    private final InProgressMode inProgress;
    private final Duration maxWait;
    private final Duration pollInitial;
    private final Duration pollMax;
    private final boolean cacheFailures;
    private final OutcomeCodec outcomeCodec;
    private final IdempotencyStoreFactory storeFactory;

    private IdempotencyConfig(Builder b) {
        this.storeKind = b.storeKind;
        this.storeName = b.storeName;
        this.jdbcUrl = b.jdbcUrl;
        this.jdbcUser = b.jdbcUser;
        this.jdbcPassword = b.jdbcPassword;
        this.table = b.table;
        this.poolSize = b.poolSize;
        this.maxEntries = b.maxEntries;
        this.hold = b.hold;
        this.ttl = b.ttl;
        this.inProgress = b.inProgress;
        this.maxWait = b.maxWait != null ? b.maxWait : b.hold.multipliedBy(2);
        this.pollInitial = b.pollInitial;
        this.pollMax = b.pollMax;
        this.cacheFailures = b.cacheFailures;
        this.outcomeCodec = b.outcomeCodec;
        this.storeFactory = b.storeFactory;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Parses options under {@code prefix}, reporting every problem at once; see {@link IdempotencyOptions}. */
    public static IdempotencyConfig fromOptions(Options o, String prefix) {
        return IdempotencyOptions.fromOptions(o, prefix);
    }

    /** Options that {@link #fromOptions} parses back into an equal config (codec and custom stores excepted). */
    public Map<String, String> toOptions(String prefix) {
        return IdempotencyOptions.SCHEMA.toOptions(this, prefix);
    }

    /** The options of an idempotency section: keys, types, ranges, defaults and docs. */
    public static OptionSchema<IdempotencyConfig> optionSchema() {
        return IdempotencyOptions.SCHEMA;
    }

    /** The guard of this spec in {@code context}'s runtime; its store is shared there by {@link #storeId()}. */
    @Override
    public IdempotencyGuard create(BindingContext context, EventPublisher events) {
        HoldKeeper keeper = context.share(HoldKeeper.KIND, HoldKeeper.NAME, HoldKeeper.NAME, n -> HoldKeeper.daemon());
        return new DefaultIdempotencyGuard(this, store(context), context.ticker(), events, keeper);
    }

    /** The store this spec names, in {@code context}'s runtime (one instance per store id there). */
    public IdempotencyStore store(BindingContext context) {
        StoreKind kind = storeKind;
        if (kind == StoreKind.AUTO) {
            kind = context.cluster().isPresent() ? StoreKind.CLUSTER : StoreKind.MEMORY;
        }
        if (kind == StoreKind.CLUSTER) {
            if (context.cluster().isPresent()) {
                return context.cluster().get().ledger();
            }
            context.warnOnce("no-cluster-ledger", "idempotency store 'cluster' asked for, but this runtime is bound to"
                + " no cluster: keys are remembered in this JVM only (on Spark, set"
                + " spark.plugins=io.resiliencekit.spark.ResiliencePlugin)");
            kind = StoreKind.MEMORY;
        }
        Ticker ticker = context.ticker();
        switch (kind) {
            case JDBC:
                return context.share("idempotency store", storeId(), storeId(), id ->
                    JdbcIdempotencyStore.builder(jdbcUrl, jdbcUser, jdbcPassword).table(table).ttl(ttl)
                        .poolSize(poolSize).ticker(ticker).build());
            case CUSTOM:
                return context.share("idempotency store", storeId(), storeFactory, f -> f.create(context));
            default:
                String id = "memory|" + storeName + '|' + ttl.toMillis() + '|' + maxEntries;
                return context.share("idempotency store", id, id, k ->
                    InMemoryIdempotencyStore.builder().maximumSize(maxEntries).ttl(ttl).ticker(ticker).build());
        }
    }

    public StoreKind storeKind() {
        return storeKind;
    }

    /** The per-JVM registry name of a memory or custom store. */
    public String storeName() {
        return storeName;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String jdbcUser() {
        return jdbcUser;
    }

    /** The JDBC password; never log it. */
    String jdbcPassword() {
        return jdbcPassword;
    }

    public String table() {
        return table;
    }

    public int poolSize() {
        return poolSize;
    }

    public long maxEntries() {
        return maxEntries;
    }

    public Duration hold() {
        return hold;
    }

    public Duration ttl() {
        return ttl;
    }

    public InProgressMode inProgress() {
        return inProgress;
    }

    public Duration maxWait() {
        return maxWait;
    }

    public Duration pollInitial() {
        return pollInitial;
    }

    public Duration pollMax() {
        return pollMax;
    }

    public boolean cacheFailures() {
        return cacheFailures;
    }

    public OutcomeCodec outcomeCodec() {
        return outcomeCodec;
    }

    IdempotencyStoreFactory storeFactory() {
        return storeFactory;
    }

    /** Identifies the store this config uses in a JVM; configs with equal ids share one store instance. */
    String storeId() {
        switch (storeKind) {
            case JDBC:
                return "jdbc|" + jdbcUrl + '|' + jdbcUser + '|' + table + '|' + ttl.toMillis();
            case CUSTOM:
                return "custom|" + storeName;
            default:
                return "memory|" + storeName + '|' + ttl.toMillis() + '|' + maxEntries;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof IdempotencyConfig)) {
            return false;
        }
        IdempotencyConfig c = (IdempotencyConfig) o;
        return storeKind == c.storeKind && storeName.equals(c.storeName) && Objects.equals(jdbcUrl, c.jdbcUrl)
            && Objects.equals(jdbcUser, c.jdbcUser) && Objects.equals(jdbcPassword, c.jdbcPassword)
            && table.equals(c.table) && poolSize == c.poolSize && maxEntries == c.maxEntries && hold.equals(c.hold)
            && ttl.equals(c.ttl) && inProgress == c.inProgress && maxWait.equals(c.maxWait)
            && pollInitial.equals(c.pollInitial) && pollMax.equals(c.pollMax) && cacheFailures == c.cacheFailures
            && outcomeCodec.equals(c.outcomeCodec) && Objects.equals(storeFactory, c.storeFactory);
    }

    @Override
    public int hashCode() {
        return Objects.hash(storeKind, storeName, jdbcUrl, table, hold, ttl, inProgress);
    }

    @Override
    public String toString() {
        return "IdempotencyConfig" + IdempotencyOptions.SCHEMA.describe(this)
            + (storeKind == StoreKind.CUSTOM ? " + custom store '" + storeName + "'" : "");
    }

    /** Builds an {@link IdempotencyConfig}; defaults: store {@code auto}, hold 5 min, TTL 24 h, wait. */
    public static final class Builder {
        private StoreKind storeKind = StoreKind.AUTO;
        private String storeName = "default";
        private String jdbcUrl;
        private String jdbcUser;
        private String jdbcPassword;
        private String table = DEFAULT_TABLE;
        private int poolSize = DEFAULT_POOL_SIZE;
        private long maxEntries = 1_000_000;
        private Duration hold = DEFAULT_HOLD;
        private Duration ttl = DEFAULT_TTL;
        private InProgressMode inProgress = InProgressMode.WAIT;
        private Duration maxWait;
        private Duration pollInitial = DEFAULT_POLL_INITIAL;
        private Duration pollMax = DEFAULT_POLL_MAX;
        private boolean cacheFailures;
        private OutcomeCodec outcomeCodec = OutcomeCodec.javaSerialization();
        private IdempotencyStoreFactory storeFactory;

        /** The cluster's idempotency ledger (the Spark driver's, through the plugin), whatever the default. */
        public Builder cluster() {
            this.storeKind = StoreKind.CLUSTER;
            return this;
        }

        /** An in-memory store shared per runtime under {@code name}. */
        public Builder memory(String name) {
            this.storeKind = StoreKind.MEMORY;
            this.storeName = checkName(name);
            return this;
        }

        /** A JDBC store (PostgreSQL, or H2 such as {@code jdbc:h2:file:/data/idem} on one machine). */
        public Builder jdbc(String url, String user, String password) {
            if (url == null) {
                throw new IllegalArgumentException("JDBC url is required");
            }
            try {
                OptionType.jdbcUrl().parse(url.trim());
            } catch (OptionType.InvalidValue e) {
                // the URL may hold a password: shown with its credentials masked, like everywhere else
                throw new IllegalArgumentException("JDBC url " + e.getMessage() + ", was "
                    + Text.quote(Secrets.redactUrl(url)));
            }
            this.storeKind = StoreKind.JDBC;
            this.jdbcUrl = url;
            this.jdbcUser = user;
            this.jdbcPassword = password;
            return this;
        }

        /** A store built by {@code factory} in each JVM, shared there under {@code name}. */
        public Builder store(String name, IdempotencyStoreFactory factory) {
            this.storeKind = StoreKind.CUSTOM;
            this.storeName = checkName(name);
            this.storeFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** JDBC table (optionally {@code schema.table}); created on demand. */
        public Builder table(String table) {
            if (table == null || !TABLE.matcher(table).matches()) {
                throw new IllegalArgumentException("table must be an SQL identifier (letters, digits, '_', optionally "
                    + "schema-qualified), was '" + table + "'");
            }
            this.table = table;
            return this;
        }

        /** JDBC connections kept per JVM (default 4). */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 256) {
                throw new IllegalArgumentException("poolSize must be between 1 and 256, was " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** Bound of an in-memory store (default 1,000,000 keys). */
        public Builder maxEntries(long maxEntries) {
            if (maxEntries < 1) {
                throw new IllegalArgumentException("maxEntries must be at least 1, was " + maxEntries);
            }
            this.maxEntries = maxEntries;
            return this;
        }

        /** How long others wait for a holder that died before they take its key over; renewed while the holder lives. */
        public Builder hold(Duration hold) {
            this.hold = positive("hold", hold);
            return this;
        }

        /** How long completed keys are remembered. */
        public Builder ttl(Duration ttl) {
            this.ttl = positive("ttl", ttl);
            return this;
        }

        public Builder inProgress(InProgressMode mode) {
            this.inProgress = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Longest a caller waits on an in-progress key in {@link InProgressMode#WAIT} (default 2 x hold). */
        public Builder maxWait(Duration maxWait) {
            this.maxWait = positive("maxWait", maxWait);
            return this;
        }

        /** Polling backoff while waiting: starts at {@code initial}, doubles up to {@code max}. */
        public Builder poll(Duration initial, Duration max) {
            this.pollInitial = positive("pollInitial", initial);
            this.pollMax = positive("pollMax", max);
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("pollMax (" + max + ") must not be below pollInitial (" + initial + ")");
            }
            return this;
        }

        /** Remember failures too, so duplicates get the same exception instead of running again (default off). */
        public Builder cacheFailures(boolean cacheFailures) {
            this.cacheFailures = cacheFailures;
            return this;
        }

        public Builder outcomeCodec(OutcomeCodec codec) {
            this.outcomeCodec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        public IdempotencyConfig build() {
            return new IdempotencyConfig(this);
        }

        Builder storeName(String name) {
            this.storeName = checkName(name);
            return this;
        }

        private static String checkName(String name) {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("store name must be 1-64 characters of letters, digits, '.', '_' "
                    + "or '-', was '" + name + "'");
            }
            return name;
        }

        private static Duration positive(String what, Duration d) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
            return d;
        }
    }
}
