package io.resiliencekit.ratelimit;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.internal.Text;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Immutable, {@link Serializable} description of a token bucket: rate R, burst B, and whether it is
 * local to this JVM or leased from a {@link io.resiliencekit.spi.TokenAuthority} so R holds
 * across all JVMs. Travels inside Spark closures; parseable from string options and back.
 *
 * <pre>{@code
 * TokenBucketConfig c = TokenBucketConfig.fromOptions(Options.of(Map.of(
 *     "rateLimit.name", "orders-api", "rateLimit.rate", "100", "rateLimit.burst", "100",
 *     "rateLimit.mode", "leased", "rateLimit.authority", "jdbc",
 *     "rateLimit.jdbc.url", "jdbc:postgresql://db/quota", "rateLimit.jdbc.user", "app",
 *     "rateLimit.jdbc.password", "s3cret")), "rateLimit.");
 * }</pre>
 *
 * <p>Option keys (after the prefix): {@code name}, {@code rate} (permits per second, or {@code auto}:
 * the authority finds the rate from the service's throttle answers), {@code maxRate} (with
 * {@code rate=auto}: the highest rate it may reach; default none), {@code burst} (permits; default:
 * one second of rate), {@code throttleScope} ({@code bucket}: a throttle answer slows every client
 * of the global bucket, the default; {@code jvm}: only this JVM), {@code mode} ({@code local} | {@code leased}),
 * {@code authority} ({@code inprocess} | {@code jdbc}), {@code leasePeriod} (default 1s),
 * {@code expectedClients} (safe-rate divisor until the authority has answered; default 1),
 * {@code jdbc.url}, {@code jdbc.user}, {@code jdbc.password} (secret), {@code jdbc.table}
 * (default {@value #DEFAULT_TABLE}).
 */
public final class TokenBucketConfig implements Serializable {

    private static final long serialVersionUID = 2L;

    public static final String DEFAULT_TABLE = "resiliencekit_token_bucket";
    /** The highest rate; also where {@code rate=auto} without {@code maxRate} may go (internal.BucketLedger.UNBOUNDED_RATE). */
    public static final double MAX_RATE = 1e12;
    public static final long MAX_BURST = 1_000_000_000_000_000L;
    /** Identifier pattern for the JDBC table: {@code table} or {@code schema.table}, letters, digits, underscores. */
    public static final Pattern TABLE_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:\\-]{1,200}");

    /** Where the bucket lives. */
    public enum Mode {
        /**
         * The default: leased from the JDBC authority when {@code authority=jdbc}; else from the
         * cluster's authority when the runtime is bound to a cluster (the Spark plugin); else local.
         */
        AUTO,
        /** A bucket of this JVM (this runtime) alone: R per JVM. */
        LOCAL,
        /** Leased from {@link #authority()}: one R for every JVM that shares the name. */
        LEASED
    }

    /** Who slows down when the service answers "slow down". */
    public enum ThrottleScope {
        /** Every client of the global bucket: the answer goes to the authority (the default). */
        BUCKET,
        /** This JVM only (an API whose limit is per caller: per key, per IP). */
        JVM
    }

    /** Which authority a leased bucket asks. */
    public enum AuthorityKind {
        /** The runtime's in-process authority (one JVM; tests). The default for {@code mode=leased}. */
        INPROCESS,
        /** The cluster's (the Spark driver's, through the plugin). */
        CLUSTER,
        /** A database row shared by several jobs ({@code jdbc.*}). */
        JDBC
    }

    private final String name;
    private final double rate;
    private final long burst;
    private final boolean adaptive;
    private final ThrottleScope throttleScope;
    private final Mode mode;
    private final AuthorityKind authority;
    private final Duration leasePeriod;
    private final int expectedClients;
    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPassword;
    private final String jdbcTable;

    TokenBucketConfig(String name, double rate, long burst, Mode mode, AuthorityKind authority, Duration leasePeriod,
                      int expectedClients, String jdbcUrl, String jdbcUser, String jdbcPassword, String jdbcTable) {
        this(name, rate, burst, false, ThrottleScope.BUCKET, mode, authority, leasePeriod, expectedClients, jdbcUrl,
            jdbcUser, jdbcPassword, jdbcTable);
    }

    TokenBucketConfig(String name, double rate, long burst, boolean adaptive, ThrottleScope throttleScope, Mode mode,
                      AuthorityKind authority, Duration leasePeriod, int expectedClients, String jdbcUrl, String jdbcUser,
                      String jdbcPassword, String jdbcTable) {
        this.name = name;
        this.rate = rate;
        this.burst = burst;
        this.adaptive = adaptive;
        this.throttleScope = throttleScope;
        this.mode = mode;
        this.authority = authority;
        this.leasePeriod = leasePeriod;
        this.expectedClients = expectedClients;
        this.jdbcUrl = jdbcUrl;
        this.jdbcUser = jdbcUser;
        this.jdbcPassword = jdbcPassword;
        this.jdbcTable = jdbcTable;
    }

    public static TokenBucketBuilder builder(String name) {
        return new TokenBucketBuilder(name);
    }

    private static final OptionSchema.Declarer<TokenBucketConfig> D = OptionSchema.declarer(TokenBucketConfig.class);
    private static final String LEASED_ONLY = "mode is not local";

    static final OptionSchema.Option<TokenBucketConfig, String> NAME_OPTION = D.option("name",
        OptionType.matching(NAME, "1-200 letters, digits, '_', '.', ':' or '-'"), "rate-limit", TokenBucketConfig::name,
        "Limiters with the same name share one bucket per JVM (and, when leased, one global bucket).")
        .defaultDoc("the policy's name");
    private static final double AUTO = OptionType.AUTO;
    static final OptionSchema.Option<TokenBucketConfig, Double> RATE = D.option("rate",
        OptionType.numberOrAuto(OptionType.decimalAbove(0, MAX_RATE)), null, c -> c.adaptive ? AUTO : c.rate,
        "R: permits per second (across every JVM when leased), or auto: the authority finds the rate from the "
            + "service's throttle answers (429, 503, Retry-After, RateLimit headers), probing upward and backing off.")
        .required("permits per second, or auto");
    static final OptionSchema.Option<TokenBucketConfig, Double> MAX_RATE_OPTION = D.option("maxRate",
        OptionType.decimalAbove(0, MAX_RATE), null, c -> c.adaptive && c.rate < MAX_RATE ? c.rate : null,
        "With rate=auto: the highest rate it may reach (a fixed rate is its own maximum).")
        .onlyWhen(RATE, r -> r != null && r == AUTO, "rate is auto");
    static final OptionSchema.Option<TokenBucketConfig, Long> BURST = D.option("burst",
        OptionType.longInteger(1, MAX_BURST), null, c -> c.adaptive && c.burst == 0 ? null : c.burst,
        "B: the most permits taken at once after an idle period; must refill within 1e8 s.")
        .defaultDoc("one second of rate (with rate=auto: of the rate found)");
    static final OptionSchema.Option<TokenBucketConfig, ThrottleScope> THROTTLE_SCOPE = D.option("throttleScope",
        OptionType.enumeration(ThrottleScope.class), ThrottleScope.BUCKET, TokenBucketConfig::throttleScope,
        "Who slows down on a throttle answer: bucket (every client of the global bucket, through the authority) or jvm "
            + "(this JVM only: an API whose limit is per caller). jvm cannot be used with rate=auto.");
    static final OptionSchema.Option<TokenBucketConfig, Mode> MODE = D.option("mode",
        OptionType.enumeration(Mode.class), Mode.AUTO, TokenBucketConfig::mode,
        "auto: leased from the jdbc authority when authority=jdbc, else from the cluster's when the runtime is bound to "
            + "one (the Spark plugin), else local; local: a bucket of this runtime; leased: leases from the authority, "
            + "so the rate holds across JVMs.");
    static final OptionSchema.Option<TokenBucketConfig, AuthorityKind> AUTHORITY = D.option("authority",
        OptionType.enumeration(AuthorityKind.class), AuthorityKind.INPROCESS, c -> c.mode != Mode.LOCAL ? c.authority : null,
        "Who owns the global bucket: inprocess (this runtime; tests), cluster (the Spark driver's, through the plugin) "
            + "or jdbc (a table shared by several jobs).")
        .onlyWhen(MODE, m -> m != Mode.LOCAL, LEASED_ONLY);
    static final OptionSchema.Option<TokenBucketConfig, Duration> LEASE_PERIOD = D.option("leasePeriod",
        OptionType.duration(Duration.ofMillis(20), Duration.ofMinutes(10)), Duration.ofSeconds(1),
        c -> c.mode != Mode.LOCAL ? c.leasePeriod : null, "How long a lease of tokens lasts.")
        .onlyWhen(MODE, m -> m != Mode.LOCAL, LEASED_ONLY);
    static final OptionSchema.Option<TokenBucketConfig, Integer> EXPECTED_CLIENTS = D.option("expectedClients",
        OptionType.integer(1, 100_000), 1, c -> c.mode != Mode.LOCAL ? c.expectedClients : null,
        "Divides the rate into a safe rate while the authority has not answered yet.")
        .onlyWhen(MODE, m -> m != Mode.LOCAL, LEASED_ONLY);
    static final OptionSchema.Option<TokenBucketConfig, String> JDBC_URL = D.option("jdbc.url",
        OptionType.jdbcUrl(), null, c -> c.jdbc() ? c.jdbcUrl : null,
        "Database of the jdbc authority (one row per bucket); shown with credentials masked.")
        .onlyWhen(AUTHORITY, a -> a == AuthorityKind.JDBC, "authority is jdbc");
    static final OptionSchema.Option<TokenBucketConfig, String> JDBC_USER = D.option("jdbc.user",
        OptionType.text(), null, c -> c.jdbc() ? c.jdbcUser : null, "Database user of the jdbc authority.")
        .onlyWhen(AUTHORITY, a -> a == AuthorityKind.JDBC, "authority is jdbc");
    static final OptionSchema.Option<TokenBucketConfig, String> JDBC_PASSWORD = D.option("jdbc.password",
        OptionType.text(), null, c -> c.jdbc() ? c.jdbcPassword : null, "Database password of the jdbc authority.")
        .secret().onlyWhen(AUTHORITY, a -> a == AuthorityKind.JDBC, "authority is jdbc");
    static final OptionSchema.Option<TokenBucketConfig, String> JDBC_TABLE = D.option("jdbc.table",
        OptionType.matching(TABLE_NAME, "a table name such as quota or app.quota"), DEFAULT_TABLE,
        c -> c.jdbc() ? c.jdbcTable : null, "Table of the jdbc authority; created on demand.")
        .onlyWhen(AUTHORITY, a -> a == AuthorityKind.JDBC, "authority is jdbc");

    static final OptionSchema<TokenBucketConfig> SCHEMA = OptionSchema.<TokenBucketConfig>builder("Rate limiter (`rateLimit.*`)")
        .description("A token bucket of rate R and burst B in front of every attempt. Local buckets limit one JVM; "
            + "leased ones spend leases of a global bucket, so admitted calls in any window w stay within R*w+B "
            + "however many JVMs there are. In a policy, setting any of these keys adds a limiter.")
        .addAll(D)
        .build(TokenBucketConfig::fromValues);

    private static TokenBucketConfig fromValues(OptionSchema.Values v) {
        boolean adaptive = v.isSet(RATE) && v.get(RATE) == AUTO;
        double rate = adaptive ? (v.isSet(MAX_RATE_OPTION) ? v.get(MAX_RATE_OPTION) : MAX_RATE) : v.isSet(RATE) ? v.get(RATE) : 0;
        long burst = v.isSet(BURST) ? v.get(BURST) : adaptive ? 0
            : rate > 0 ? Math.max(1, (long) Math.ceil(Math.min(rate, MAX_BURST))) : 1;
        ThrottleScope throttleScope = v.get(THROTTLE_SCOPE);
        Mode mode = v.get(MODE);
        AuthorityKind authority = v.get(AUTHORITY);
        String url = v.get(JDBC_URL);
        if (v.isValid(MODE) && mode != Mode.LOCAL && authority == AuthorityKind.JDBC && url == null && v.isValid(JDBC_URL)) {
            v.problem(JDBC_URL, "is required when " + v.key(AUTHORITY) + " is jdbc");
        }
        if (!adaptive && rate > 0 && burst / rate > 1e8) {
            v.problem(BURST, "must refill within 1e8 seconds at the given rate, was " + burst + " at " + Text.number(rate) + "/s");
        }
        if (adaptive && v.isValid(MODE) && mode == Mode.LOCAL) {
            v.problem(MODE, "local cannot be used with rate=auto: the rate is found at a token authority (use"
                + " auto or leased; without a cluster, the runtime's in-process authority finds it for this JVM)");
        }
        if (adaptive && throttleScope == ThrottleScope.JVM) {
            v.problem(THROTTLE_SCOPE, "jvm cannot be used with rate=auto: the authority finds the rate from the"
                + " throttle answers every client reports");
        }
        return new TokenBucketConfig(v.get(NAME_OPTION), rate > 0 ? rate : 1, burst, adaptive, throttleScope, mode, authority,
            v.get(LEASE_PERIOD), v.get(EXPECTED_CLIENTS), url, v.get(JDBC_USER), v.get(JDBC_PASSWORD), v.get(JDBC_TABLE));
    }

    private boolean jdbc() {
        return mode != Mode.LOCAL && authority == AuthorityKind.JDBC;
    }

    /** The options of a rate-limiter section: keys, types, ranges, defaults and docs. */
    public static OptionSchema<TokenBucketConfig> optionSchema() {
        return SCHEMA;
    }

    /**
     * Reads the options under {@code prefix} and records every problem in {@code o} without
     * throwing, so a caller can validate several policies and report all problems at once; call
     * {@link Options#throwIfInvalid()} before using the result. Invalid values fall back to defaults.
     */
    public static TokenBucketConfig fromOptions(Options o, String prefix) {
        return SCHEMA.read(o, prefix, false);
    }

    /** Parses and validates; throws one {@link ConfigException} naming every problem (unknown keys under the prefix too). */
    public static TokenBucketConfig parse(Map<String, String> options, String prefix) {
        return SCHEMA.parse(options, prefix);
    }

    /** The options that {@link #fromOptions} turns back into this config (the password included: do not log it). */
    public Map<String, String> toOptions(String prefix) {
        return SCHEMA.toOptions(this, prefix);
    }

    /** Every problem with this combination of values; empty if valid. */
    List<String> problems() {
        List<String> out = new ArrayList<>();
        if (name == null || !NAME.matcher(name).matches()) {
            out.add("name: must be 1-200 letters, digits, '_', '.', ':' or '-', was '" + name + "'");
        }
        if (!(rate > 0 && rate <= MAX_RATE)) {
            out.add("rate: must be above 0 and at most " + MAX_RATE + " permits per second, was " + rate);
        }
        if (burst < (adaptive ? 0 : 1) || burst > MAX_BURST) {
            out.add("burst: must be between 1 and " + MAX_BURST + ", was " + burst);
        } else if (!adaptive && rate > 0 && burst / rate > 1e8) {
            out.add("burst: must refill within 1e8 seconds at the given rate, was " + burst + " at " + rate + "/s");
        }
        if (leasePeriod == null || leasePeriod.compareTo(Duration.ofMillis(20)) < 0
            || leasePeriod.compareTo(Duration.ofMinutes(10)) > 0) {
            out.add("leasePeriod: must be between 20ms and 10m, was " + leasePeriod);
        }
        if (expectedClients < 1) {
            out.add("expectedClients: must be at least 1, was " + expectedClients);
        }
        if (jdbcTable == null || !TABLE_NAME.matcher(jdbcTable).matches()) {
            out.add("jdbc.table: must be a table name such as quota or app.quota, was '" + jdbcTable + "'");
        }
        if (mode != Mode.LOCAL && authority == AuthorityKind.JDBC && jdbcUrl == null) {
            out.add("jdbc.url: is required when authority is jdbc");
        }
        if (adaptive && mode == Mode.LOCAL) {
            out.add("mode: local cannot be used with rate=auto: the rate is found at a token authority");
        }
        if (adaptive && throttleScope == ThrottleScope.JVM) {
            out.add("throttleScope: jvm cannot be used with rate=auto: the authority finds the rate from every client's"
                + " throttle answers");
        }
        if (throttleScope == null) {
            out.add("throttleScope: must be bucket or jvm");
        }
        return out;
    }

    void validate() {
        List<String> p = problems();
        if (!p.isEmpty()) {
            throw new ConfigException(p);
        }
    }

    public String name() {
        return name;
    }

    /** R: permits per second; with {@link #adaptive()}, the highest rate it may reach ({@link #MAX_RATE}: none). */
    public double rate() {
        return rate;
    }

    /** B: the most permits that can be taken at once after an idle period; 0 with {@code rate=auto}: one second of its rate. */
    public long burst() {
        return burst;
    }

    /** {@code rate=auto}: the authority finds the rate from throttle answers, up to {@link #rate()}. */
    public boolean adaptive() {
        return adaptive;
    }

    public ThrottleScope throttleScope() {
        return throttleScope;
    }

    public Mode mode() {
        return mode;
    }

    public AuthorityKind authority() {
        return authority;
    }

    public Duration leasePeriod() {
        return leasePeriod;
    }

    public int expectedClients() {
        return expectedClients;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String jdbcUser() {
        return jdbcUser;
    }

    /** The JDBC password; never printed by {@link #toString()}. */
    public String jdbcPassword() {
        return jdbcPassword;
    }

    public String jdbcTable() {
        return jdbcTable;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TokenBucketConfig)) {
            return false;
        }
        TokenBucketConfig c = (TokenBucketConfig) o;
        return Double.compare(rate, c.rate) == 0 && burst == c.burst && adaptive == c.adaptive
            && throttleScope == c.throttleScope && expectedClients == c.expectedClients
            && name.equals(c.name) && mode == c.mode && authority == c.authority && leasePeriod.equals(c.leasePeriod)
            && Objects.equals(jdbcUrl, c.jdbcUrl) && Objects.equals(jdbcUser, c.jdbcUser)
            && Objects.equals(jdbcPassword, c.jdbcPassword) && Objects.equals(jdbcTable, c.jdbcTable);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, rate, burst, adaptive, throttleScope, mode, authority, leasePeriod, expectedClients, jdbcUrl,
            jdbcUser, jdbcTable);
    }

    /** Safe to log: the password is masked and the JDBC URL shown without credentials. */
    @Override
    public String toString() {
        return "TokenBucketConfig" + SCHEMA.describe(this);
    }
}
