package io.resiliencekit.spark.cluster;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Secrets;

/**
 * Settings of {@link ResiliencePlugin}, read from the Spark configuration ({@code spark.resiliencekit.*})
 * and validated on the driver with every problem reported at once before the application starts.
 *
 * <pre>{@code
 * spark.plugins                                 io.resiliencekit.spark.ResiliencePlugin
 * spark.resiliencekit.rpc.threads               2       background threads per executor for async asks
 * spark.resiliencekit.breaker.pollInterval      200ms   how often executors refresh the breaker board
 * spark.resiliencekit.breaker.halfOpenTrials    0       trial calls per half-open period, cluster-wide
 *                                                       (0: one JVM's permittedCallsInHalfOpen)
 * spark.resiliencekit.breaker.trialTimeout      10s     a half-open period whose trials never conclude
 *                                                       (executor lost) hands trials out again after this
 * spark.resiliencekit.ledger.maxKeys            1000000 keys kept by the application's ledger
 * spark.resiliencekit.ledger.ttl                24h     how long a completed key is remembered
 * spark.resiliencekit.ledger.location           (none)  where the ledger outlives the application, so a
 *                                                       re-run of a run id skips what completed: an absolute
 *                                                       path (an embedded H2 database file on the driver's host)
 *                                                       or a jdbc: URL (e.g. PostgreSQL, shared by applications;
 *                                                       credentials in the URL). Unset: in memory, for the
 *                                                       application's lifetime
 * spark.resiliencekit.limiter.<name>.rate       100     permits per second of a driver-hosted limiter, or auto
 *                                                       (found from the service's throttle answers)
 * spark.resiliencekit.limiter.<name>.maxRate    500     with rate auto: the highest rate it may reach (default none)
 * spark.resiliencekit.limiter.<name>.burst      100     its burst (default: one second of rate)
 * }</pre>
 */
public final class PluginOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String PREFIX = "spark.resiliencekit.";
    public static final String RPC_THREADS = PREFIX + "rpc.threads";
    public static final String BREAKER_POLL_INTERVAL = PREFIX + "breaker.pollInterval";
    public static final String BREAKER_HALF_OPEN_TRIALS = PREFIX + "breaker.halfOpenTrials";
    public static final String BREAKER_TRIAL_TIMEOUT = PREFIX + "breaker.trialTimeout";
    public static final String LEDGER_MAX_KEYS = PREFIX + "ledger.maxKeys";
    public static final String LEDGER_TTL = PREFIX + "ledger.ttl";
    public static final String LEDGER_LOCATION = PREFIX + "ledger.location";

    private final int rpcThreads;
    private final Duration breakerPollInterval;
    private final int breakerHalfOpenTrials;
    private final Duration breakerTrialTimeout;
    private final long ledgerMaxKeys;
    private final Duration ledgerTtl;
    private final String ledgerLocation;
    private final Map<String, LimiterSpec> limiters;

    private PluginOptions(int rpcThreads, Duration breakerPollInterval, int breakerHalfOpenTrials,
                          Duration breakerTrialTimeout, long ledgerMaxKeys, Duration ledgerTtl, String ledgerLocation,
                          Map<String, LimiterSpec> limiters) {
        this.rpcThreads = rpcThreads;
        this.breakerPollInterval = breakerPollInterval;
        this.breakerHalfOpenTrials = breakerHalfOpenTrials;
        this.breakerTrialTimeout = breakerTrialTimeout;
        this.ledgerMaxKeys = ledgerMaxKeys;
        this.ledgerTtl = ledgerTtl;
        this.ledgerLocation = ledgerLocation;
        this.limiters = Collections.unmodifiableMap(new TreeMap<>(limiters));
    }

    private static final OptionSchema.Declarer<PluginOptions> D = OptionSchema.declarer(PluginOptions.class);
    private static final Pattern LIMITER_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    static final OptionSchema.Option<PluginOptions, Integer> RPC_THREADS_OPTION = D.option("rpc.threads",
        OptionType.integer(1, 64), 2, PluginOptions::rpcThreads, "Background threads per executor for asynchronous asks.");
    static final OptionSchema.Option<PluginOptions, Duration> POLL_INTERVAL_OPTION = D.option("breaker.pollInterval",
        OptionType.duration(Duration.ofMillis(10), Duration.ofSeconds(30)), Duration.ofMillis(200),
        PluginOptions::breakerPollInterval, "How often executors refresh the breaker board.");
    static final OptionSchema.Option<PluginOptions, Integer> HALF_OPEN_TRIALS_OPTION = D.option("breaker.halfOpenTrials",
        OptionType.integer(0, 10_000), 0, PluginOptions::breakerHalfOpenTrials,
        "Trial calls per half-open period, cluster-wide; 0: one JVM's permittedCallsInHalfOpen.");
    static final OptionSchema.Option<PluginOptions, Duration> TRIAL_TIMEOUT_OPTION = D.option("breaker.trialTimeout",
        OptionType.duration(Duration.ofMillis(100), Duration.ofHours(1)), Duration.ofSeconds(10),
        PluginOptions::breakerTrialTimeout, "A half-open period whose trials never conclude (executor lost) hands trials out again after this.");
    static final OptionSchema.Option<PluginOptions, Long> LEDGER_MAX_KEYS_OPTION = D.option("ledger.maxKeys",
        OptionType.longInteger(1, 1_000_000_000L), 1_000_000L, PluginOptions::ledgerMaxKeys,
        "Keys kept by the application's idempotency ledger on the driver.");
    static final OptionSchema.Option<PluginOptions, Duration> LEDGER_TTL_OPTION = D.option("ledger.ttl",
        OptionType.duration(Duration.ofSeconds(1), Duration.ofDays(365)), Duration.ofHours(24), PluginOptions::ledgerTtl,
        "How long the ledger remembers a completed key.");
    static final OptionSchema.Option<PluginOptions, String> LEDGER_LOCATION_OPTION = D.option("ledger.location",
        ledgerLocationType(), null, PluginOptions::ledgerLocationOrNull,
        "Where the ledger outlives the application, so a re-run of a run id skips what completed: an absolute path "
            + "(an embedded H2 database file on the driver's host) or a JDBC URL (e.g. PostgreSQL, shared by "
            + "applications). Unset: in the driver's memory, for the application's lifetime.").defaultDoc("in memory");
    static final OptionSchema.Family<PluginOptions, Double> LIMITER_RATE = D.family("limiter.<name>.rate", LIMITER_NAME,
        OptionType.numberOrAuto(OptionType.decimal(1e-6, 1e9)), PluginOptions::limiterRates,
        "Permits per second of a limiter hosted on the driver, or auto: the driver's authority finds the rate from the "
            + "throttle answers every executor reports.");
    static final OptionSchema.Family<PluginOptions, Long> LIMITER_BURST = D.family("limiter.<name>.burst", LIMITER_NAME,
        OptionType.longInteger(1, Long.MAX_VALUE / 4), PluginOptions::limiterBursts,
        "Its burst; needs the limiter's rate.").defaultDoc("one second of rate (with rate auto: of the rate found)");
    static final OptionSchema.Family<PluginOptions, Double> LIMITER_MAX_RATE = D.family("limiter.<name>.maxRate",
        LIMITER_NAME, OptionType.decimal(1e-6, 1e9), PluginOptions::limiterMaxRates,
        "With the limiter's rate auto: the highest rate it may reach (a fixed rate is its own maximum).");

    static final OptionSchema<PluginOptions> SCHEMA = OptionSchema.<PluginOptions>builder("Spark plugin (`spark.resiliencekit.*`)")
        .description("Spark configuration of `spark.plugins=io.resiliencekit.spark.ResiliencePlugin`, validated on the "
            + "driver with every problem at once before the application starts. Other Spark keys are left alone; a "
            + "`spark.resiliencekit.*` key that is not listed here stops the application.")
        .addAll(D)
        .build(PluginOptions::fromValues);

    private static PluginOptions fromValues(OptionSchema.Values v) {
        Map<String, Double> rates = v.family(LIMITER_RATE);
        Map<String, Long> bursts = v.family(LIMITER_BURST);
        Map<String, Double> maxRates = v.family(LIMITER_MAX_RATE);
        TreeSet<String> names = new TreeSet<>(v.familyNames(LIMITER_RATE));
        names.addAll(v.familyNames(LIMITER_BURST));
        names.addAll(v.familyNames(LIMITER_MAX_RATE));
        Map<String, LimiterSpec> limiters = new LinkedHashMap<>();
        for (String name : names) {
            boolean rateGiven = v.familyNames(LIMITER_RATE).contains(name);
            if (!rateGiven) {
                // the burst is still checked (by the family), so a bad one is reported too
                String given = v.familyNames(LIMITER_BURST).contains(name) ? ".burst" : ".maxRate";
                v.problem(PREFIX + "limiter." + name + ".rate", "is required when " + PREFIX + "limiter." + name
                    + given + " is set");
                continue;
            }
            Double rate = rates.get(name);
            if (rate == null) {
                continue;   // invalid: reported
            }
            if (rate == OptionType.AUTO) {
                limiters.put(name, new LimiterSpec(name, maxRates.getOrDefault(name, LimiterSpec.UNBOUNDED),
                    bursts.getOrDefault(name, 0L), true));
                continue;
            }
            if (v.familyNames(LIMITER_MAX_RATE).contains(name)) {
                v.problem(PREFIX + "limiter." + name + ".maxRate", "is only for " + PREFIX + "limiter." + name
                    + ".rate=auto (a fixed rate is its own maximum)");
            }
            long burst = bursts.getOrDefault(name, Math.max(1, (long) Math.ceil(rate)));
            limiters.put(name, new LimiterSpec(name, rate, burst));
        }
        return new PluginOptions(v.get(RPC_THREADS_OPTION), v.get(POLL_INTERVAL_OPTION), v.get(HALF_OPEN_TRIALS_OPTION),
            v.get(TRIAL_TIMEOUT_OPTION), v.get(LEDGER_MAX_KEYS_OPTION), v.get(LEDGER_TTL_OPTION),
            v.get(LEDGER_LOCATION_OPTION), limiters);
    }

    // A JDBC URL (credentials in it are redacted wherever the value is shown) or an absolute file path.
    private static OptionType<String> ledgerLocationType() {
        OptionType<String> jdbc = OptionType.jdbcUrl();
        String rule = "must be an absolute path (an embedded database file) or a JDBC URL such as jdbc:postgresql://host/db";
        return OptionType.custom("path or JDBC URL", "an absolute path or jdbc:<driver>:...", t -> {
            if (t.startsWith("jdbc:")) {
                try {
                    return jdbc.parse(t);
                } catch (OptionType.InvalidValue e) {
                    throw new OptionType.InvalidValue(rule);
                }
            }
            if (t.indexOf('\0') >= 0 || !isAbsolutePath(t)) {
                throw new OptionType.InvalidValue(rule);
            }
            return t;
        }, l -> l).shownAs(Secrets::redactUrl);
    }

    private static boolean isAbsolutePath(String text) {
        try {
            return java.nio.file.Path.of(text).isAbsolute();
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    private String ledgerLocationOrNull() {
        return ledgerLocation;
    }

    private Map<String, Double> limiterRates() {
        Map<String, Double> m = new TreeMap<>();
        limiters.values().forEach(l -> m.put(l.name(), l.adaptive() ? OptionType.AUTO : l.ratePerSecond()));
        return m;
    }

    private Map<String, Double> limiterMaxRates() {
        Map<String, Double> m = new TreeMap<>();
        limiters.values().stream().filter(l -> l.adaptive() && l.ratePerSecond() < LimiterSpec.UNBOUNDED)
            .forEach(l -> m.put(l.name(), l.ratePerSecond()));
        return m;
    }

    private Map<String, Long> limiterBursts() {
        Map<String, Long> m = new TreeMap<>();
        // rate auto without a burst: one second of the rate found (0 inside), not written back
        limiters.values().stream().filter(l -> !(l.adaptive() && l.burst() == 0)).forEach(l -> m.put(l.name(), l.burst()));
        return m;
    }

    /** The plugin's options: keys, types, ranges, defaults and docs. */
    public static OptionSchema<PluginOptions> optionSchema() {
        return SCHEMA;
    }

    /** Defaults, as if no {@code spark.resiliencekit.*} option were set. */
    public static PluginOptions defaults() {
        return fromOptions(Map.of());
    }

    /**
     * Parses the {@code spark.resiliencekit.*} entries of {@code conf} (other keys are ignored; keys
     * are matched case-insensitively).
     *
     * @throws ConfigException naming every bad or unknown option
     */
    public static PluginOptions fromOptions(Map<String, String> conf) {
        Map<String, String> mine = new HashMap<>();
        conf.forEach((k, v) -> {
            // a null key is kept, to be reported as such
            if (k == null || k.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
                mine.put(k, v);
            }
        });
        return SCHEMA.parse(mine, PREFIX);
    }

    /** The options that reproduce this object through {@link #fromOptions(Map)}. */
    public Map<String, String> toOptions() {
        return new TreeMap<>(SCHEMA.toOptions(this, PREFIX));
    }

    public int rpcThreads() {
        return rpcThreads;
    }

    public Duration breakerPollInterval() {
        return breakerPollInterval;
    }

    /** Trial calls per half-open period cluster-wide; 0 means one JVM's {@code permittedCallsInHalfOpen}. */
    public int breakerHalfOpenTrials() {
        return breakerHalfOpenTrials;
    }

    public Duration breakerTrialTimeout() {
        return breakerTrialTimeout;
    }

    public long ledgerMaxKeys() {
        return ledgerMaxKeys;
    }

    public Duration ledgerTtl() {
        return ledgerTtl;
    }

    /** Where the ledger outlives the application (a path or a JDBC url), or empty: in the driver's memory. */
    public java.util.Optional<String> ledgerLocation() {
        return java.util.Optional.ofNullable(ledgerLocation);
    }

    /** The JDBC url of the persistent ledger: the location itself, or an embedded H2 file at that path. */
    public java.util.Optional<String> ledgerJdbcUrl() {
        return ledgerLocation().map(l -> l.startsWith("jdbc:") ? l : "jdbc:h2:file:" + l);
    }

    /** Limiters defined in the Spark configuration, by name. */
    public Map<String, LimiterSpec> limiters() {
        return limiters;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PluginOptions && ((PluginOptions) o).toOptions().equals(toOptions());
    }

    @Override
    public int hashCode() {
        return toOptions().hashCode();
    }

    @Override
    public String toString() {
        return "PluginOptions" + SCHEMA.describe(this);
    }

    /** A driver-hosted limiter defined in the Spark configuration. */
    public static final class LimiterSpec implements Serializable {
        private static final long serialVersionUID = 2L;
        /** The ceiling of {@code rate=auto} without {@code maxRate} (the rate limiters' own maximum). */
        public static final double UNBOUNDED = 1e12;
        private final String name;
        private final double ratePerSecond;
        private final long burst;
        private final boolean adaptive;

        public LimiterSpec(String name, double ratePerSecond, long burst) {
            this(name, ratePerSecond, burst, false);
        }

        /** @param adaptive {@code rate=auto}: {@code ratePerSecond} is its ceiling, a burst of 0 one second of its rate */
        public LimiterSpec(String name, double ratePerSecond, long burst, boolean adaptive) {
            this.name = name;
            this.ratePerSecond = ratePerSecond;
            this.burst = burst;
            this.adaptive = adaptive;
        }

        /** {@code rate=auto}: the driver's authority finds the rate, up to {@link #ratePerSecond()}. */
        public boolean adaptive() {
            return adaptive;
        }

        public String name() {
            return name;
        }

        public double ratePerSecond() {
            return ratePerSecond;
        }

        public long burst() {
            return burst;
        }

        @Override
        public String toString() {
            return name + (adaptive ? "(rate=auto" + (ratePerSecond < UNBOUNDED ? " up to " + ratePerSecond + "/s" : "")
                : "(rate=" + ratePerSecond + "/s") + ", burst=" + burst + ")";
        }
    }
}
