package io.resiliencekit.spark.cluster;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
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
 * spark.resiliencekit.limiter.<name>.rate       100     permits per second of a driver-hosted limiter
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
    private static final Pattern JDBC_URL = Pattern.compile("jdbc:[a-zA-Z0-9]+:.+");
    private static final Pattern LIMITER = Pattern.compile(Pattern.quote(PREFIX + "limiter.") + "([A-Za-z0-9_-]+)\\.(rate|burst)");

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

    /** Defaults, as if no {@code spark.resiliencekit.*} option were set. */
    public static PluginOptions defaults() {
        return fromOptions(Map.of());
    }

    /**
     * Parses the {@code spark.resiliencekit.*} entries of {@code conf} (other keys are ignored).
     *
     * @throws ConfigException naming every bad or unknown option
     */
    public static PluginOptions fromOptions(Map<String, String> conf) {
        Map<String, String> mine = new TreeMap<>();
        conf.forEach((k, v) -> {
            if (k.startsWith(PREFIX)) {
                mine.put(k, v);
            }
        });
        Options o = Options.of(mine);
        int threads = o.intValue(RPC_THREADS, 2, 1, 64);
        Duration poll = o.duration(BREAKER_POLL_INTERVAL, Duration.ofMillis(200), Duration.ofMillis(10), Duration.ofSeconds(30));
        int trials = o.intValue(BREAKER_HALF_OPEN_TRIALS, 0, 0, 10_000);
        Duration trialTimeout = o.duration(BREAKER_TRIAL_TIMEOUT, Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofHours(1));
        long maxKeys = o.longValue(LEDGER_MAX_KEYS, 1_000_000, 1, 1_000_000_000L);
        Duration ttl = o.duration(LEDGER_TTL, Duration.ofHours(24), Duration.ofSeconds(1), Duration.ofDays(365));
        String location = o.string(LEDGER_LOCATION).orElse(null);
        if (location != null && !(location.startsWith("jdbc:") ? JDBC_URL.matcher(location).matches()
                : location.indexOf('\0') < 0 && java.nio.file.Path.of(location).isAbsolute())) {
            o.problem(LEDGER_LOCATION, "must be an absolute path (an embedded database file) or a JDBC url such as "
                    + "jdbc:postgresql://host/db, was '" + Secrets.scrub(location) + "'");
        }
        Map<String, LimiterSpec> limiters = new LinkedHashMap<>();
        TreeSet<String> names = new TreeSet<>();
        for (String key : mine.keySet()) {
            Matcher m = LIMITER.matcher(key);
            if (m.matches()) {
                names.add(m.group(1));
            }
        }
        for (String name : names) {
            String rateKey = PREFIX + "limiter." + name + ".rate";
            String burstKey = PREFIX + "limiter." + name + ".burst";
            if (!o.has(rateKey)) {
                o.problem(rateKey, "is required when " + burstKey + " is set");
                o.has(burstKey);
                continue;
            }
            double rate = o.doubleValue(rateKey, 1, 1e-6, 1e9);
            long burst = o.longValue(burstKey, Math.max(1, (long) Math.ceil(rate)), 1, Long.MAX_VALUE / 4);
            limiters.put(name, new LimiterSpec(name, rate, burst));
        }
        o.rejectUnknown(PREFIX);
        o.throwIfInvalid();
        return new PluginOptions(threads, poll, trials, trialTimeout, maxKeys, ttl, location, limiters);
    }

    /** The options that reproduce this object through {@link #fromOptions(Map)}. */
    public Map<String, String> toOptions() {
        Map<String, String> m = new TreeMap<>();
        m.put(RPC_THREADS, Integer.toString(rpcThreads));
        m.put(BREAKER_POLL_INTERVAL, breakerPollInterval.toMillis() + "ms");
        m.put(BREAKER_HALF_OPEN_TRIALS, Integer.toString(breakerHalfOpenTrials));
        m.put(BREAKER_TRIAL_TIMEOUT, breakerTrialTimeout.toMillis() + "ms");
        m.put(LEDGER_MAX_KEYS, Long.toString(ledgerMaxKeys));
        m.put(LEDGER_TTL, ledgerTtl.toMillis() + "ms");
        if (ledgerLocation != null) {
            m.put(LEDGER_LOCATION, ledgerLocation);
        }
        for (LimiterSpec l : limiters.values()) {
            m.put(PREFIX + "limiter." + l.name() + ".rate", Double.toString(l.ratePerSecond()));
            m.put(PREFIX + "limiter." + l.name() + ".burst", Long.toString(l.burst()));
        }
        return m;
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
        return "PluginOptions" + Secrets.scrub(Secrets.masked(toOptions()).toString()); // a ledger url may carry a password
    }

    /** A driver-hosted limiter defined in the Spark configuration. */
    public static final class LimiterSpec implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final double ratePerSecond;
        private final long burst;

        public LimiterSpec(String name, double ratePerSecond, long burst) {
            this.name = name;
            this.ratePerSecond = ratePerSecond;
            this.burst = burst;
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
            return name + "(rate=" + ratePerSecond + "/s, burst=" + burst + ")";
        }
    }
}
