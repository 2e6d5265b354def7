package io.resiliencekit.ratelimit;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.Secrets;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

    /**
     * Reads the options under {@code prefix} and records every problem in {@code o} without
     * throwing, so a caller can validate several policies and report all problems at once; call
     * {@link Options#throwIfInvalid()} before using the result. Invalid values fall back to defaults.
     */
    public static TokenBucketConfig fromOptions(Options o, String prefix) {
        String p = prefix == null ? "" : prefix;
        String name = o.matching(p + "name", "rate-limit", NAME, "1-200 letters, digits, '_', '.', ':' or '-'");
        double rate = 0;
        boolean adaptive = o.string(p + "rate").map(v -> v.trim().equalsIgnoreCase("auto")).orElse(false);
        if (o.string(p + "rate").isEmpty()) {
            o.problem(p + "rate", "is required (permits per second, or auto)");
        } else if (adaptive) {
            rate = o.has(p + "maxRate") ? o.doubleValue(p + "maxRate", MAX_RATE, Double.MIN_VALUE, MAX_RATE) : MAX_RATE;
        } else {
            rate = o.doubleValue(p + "rate", 0, Double.MIN_VALUE, MAX_RATE);
            if (o.has(p + "maxRate")) {
                o.problem(p + "maxRate", "is only for rate=auto (a fixed rate is its own maximum)");
            }
        }
        long defaultBurst = adaptive ? 0 : rate > 0 ? Math.max(1, (long) Math.ceil(rate)) : 1;
        long burst = o.longValue(p + "burst", defaultBurst, adaptive ? 0 : 1, MAX_BURST);
        ThrottleScope throttleScope = o.enumValue(p + "throttleScope", ThrottleScope.BUCKET, ThrottleScope.class);
        int before = o.problems().size();
        Mode mode = o.enumValue(p + "mode", Mode.AUTO, Mode.class);
        boolean modeKnown = o.problems().size() == before;
        AuthorityKind authority = o.enumValue(p + "authority", AuthorityKind.INPROCESS, AuthorityKind.class);
        Duration lease = o.duration(p + "leasePeriod", Duration.ofSeconds(1), Duration.ofMillis(20), Duration.ofMinutes(10));
        int clients = o.intValue(p + "expectedClients", 1, 1, 100_000);
        String url = o.string(p + "jdbc.url").orElse(null);
        String user = o.string(p + "jdbc.user").orElse(null);
        String password = o.string(p + "jdbc.password").orElse(null);
        String table = o.matching(p + "jdbc.table", DEFAULT_TABLE, TABLE_NAME, "a table name such as quota or app.quota");
        if (modeKnown && mode != Mode.LOCAL && authority == AuthorityKind.JDBC && url == null) {
            o.problem(p + "jdbc.url", "is required when " + p + "authority is jdbc");
        }
        if (adaptive && modeKnown && mode == Mode.LOCAL) {
            o.problem(p + "mode", "local cannot be used with rate=auto: the rate is found at a token authority (use"
                + " auto or leased; without a cluster, the runtime's in-process authority finds it for this JVM)");
        }
        if (adaptive && throttleScope == ThrottleScope.JVM) {
            o.problem(p + "throttleScope", "jvm cannot be used with rate=auto: the authority finds the rate from the"
                + " throttle answers every client reports");
        }
        if (!adaptive && rate > 0 && burst / rate > 1e8) {
            o.problem(p + "burst", "must refill within 1e8 seconds at the given rate, was " + burst + " at " + rate + "/s");
        }
        return new TokenBucketConfig(name, rate > 0 ? rate : 1, burst, adaptive, throttleScope, mode, authority, lease,
            clients, url, user, password, table);
    }

    /** Parses and validates; throws one {@link ConfigException} naming every problem. */
    public static TokenBucketConfig parse(Map<String, String> options, String prefix) {
        Options o = Options.of(options);
        TokenBucketConfig c = fromOptions(o, prefix);
        o.rejectUnknown(prefix == null ? "" : prefix);
        o.throwIfInvalid();
        return c;
    }

    /** The options that {@link #fromOptions} turns back into this config (the password included: do not log it). */
    public Map<String, String> toOptions(String prefix) {
        String p = prefix == null ? "" : prefix;
        Map<String, String> m = new LinkedHashMap<>();
        m.put(p + "name", name);
        if (adaptive) {
            m.put(p + "rate", "auto");
            if (rate < MAX_RATE) {
                m.put(p + "maxRate", Double.toString(rate));
            }
        } else {
            m.put(p + "rate", Double.toString(rate));
        }
        m.put(p + "burst", Long.toString(burst));
        m.put(p + "throttleScope", throttleScope.name().toLowerCase(Locale.ROOT));
        m.put(p + "mode", mode.name().toLowerCase(Locale.ROOT));
        m.put(p + "authority", authority.name().toLowerCase(Locale.ROOT));
        m.put(p + "leasePeriod", leasePeriod.toNanos() + "ns");
        m.put(p + "expectedClients", Integer.toString(expectedClients));
        if (jdbcUrl != null) {
            m.put(p + "jdbc.url", jdbcUrl);
        }
        if (jdbcUser != null) {
            m.put(p + "jdbc.user", jdbcUser);
        }
        if (jdbcPassword != null) {
            m.put(p + "jdbc.password", jdbcPassword);
        }
        m.put(p + "jdbc.table", jdbcTable);
        return m;
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

    /** The URL without its parameters, which may carry credentials. */
    static String safeUrl(String url) {
        int cut = url.length();
        for (char c : new char[] {'?', ';', '&'}) {
            int i = url.indexOf(c);
            if (i >= 0) {
                cut = Math.min(cut, i);
            }
        }
        return cut == url.length() ? url : url.substring(0, cut) + "?" + Secrets.MASK;
    }

    @Override
    public String toString() {
        return "TokenBucketConfig{name=" + name + ", rate=" + (adaptive ? "auto" + (rate < MAX_RATE ? " up to " + rate : "")
            : rate) + "/s, burst=" + burst + (throttleScope == ThrottleScope.JVM ? ", throttleScope=jvm" : "") + ", mode=" + mode
            + (mode != Mode.LOCAL ? ", authority=" + authority + ", leasePeriod=" + leasePeriod
                + ", expectedClients=" + expectedClients : "")
            + (jdbcUrl == null ? "" : ", jdbc.url=" + safeUrl(jdbcUrl) + ", jdbc.user=" + jdbcUser + ", jdbc.password="
                + (jdbcPassword == null ? "null" : Secrets.MASK) + ", jdbc.table=" + jdbcTable)
            + '}';
    }
}
