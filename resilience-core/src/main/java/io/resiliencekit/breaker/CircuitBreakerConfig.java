package io.resiliencekit.breaker;

import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.spi.BreakerBoardFactory;
import io.resiliencekit.spi.Scope;
import io.resiliencekit.config.Options;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The immutable, {@link Serializable} spec of a circuit breaker: it travels inside Spark closures,
 * and each JVM builds its runtime {@link CircuitBreaker} from it.
 *
 * <pre>{@code
 * CircuitBreakerConfig config = CircuitBreakerConfig.builder("orders-api")
 *     .countWindow(50)
 *     .failureRateThreshold(0.5)
 *     .minimumCalls(10)
 *     .slowCalls(Duration.ofSeconds(2), 0.8)
 *     .openDuration(Duration.ofSeconds(30))
 *     .openDurationGrowth(2.0, Duration.ofMinutes(5))
 *     .build();
 * CircuitBreaker breaker = CircuitBreaker.of(config, Ticker.system());
 *
 * // or from string options, e.g. Spark options:
 * Options o = Options.of(Map.of("breaker.windowSize", "50", "breaker.openDuration", "30s"));
 * CircuitBreakerConfig fromOptions = CircuitBreakerConfig.fromOptions(o, "breaker.");
 * o.throwIfInvalid();
 * }</pre>
 *
 * <p>Defaults, chosen for pipelines that call a dependency tens to thousands of times a second:
 * count window of {@value #DEFAULT_WINDOW_SIZE} calls (a time window defaults to 60 s),
 * failure-rate threshold 0.5, minimum {@value #DEFAULT_MINIMUM_CALLS} calls, no slow-call
 * detection (slow-call rate threshold 1.0 once a slow-call duration is set),
 * {@value #DEFAULT_HALF_OPEN_CALLS} trial calls when half-open, open for 1 s, growing by
 * {@value #DEFAULT_OPEN_DURATION_MULTIPLIER} on each consecutive re-open (the maximum open duration
 * defaults to the larger of the open duration and 30 s). So a full outage opens the breaker after
 * 25 failed attempts (within a second from about 25 attempts per second, which a job's own
 * retries reach), random faults of a few percent practically never do (25 of 50 failing is about 1e-21 likely
 * at a 4% fault rate, 1e-12 at 10%), and a short outage costs at most about one open period after it ends: the
 * trials at 1, 3, 7, 15 s... find the service back. resilience4j's defaults (100 calls, open 60 s)
 * suit request-serving code, where an open breaker fails requests fast; in a pipeline an open
 * breaker pauses the job, so every extra second open is lost throughput.
 *
 * <p>In a count window at most {@code windowSize} calls are ever recorded, so the effective
 * minimum is {@code min(minimumCalls, windowSize)}. A time window keeps 20 buckets of
 * {@code windowDuration / 20}; a call leaves it between {@code 19/20} and all of
 * {@code windowDuration} after it was recorded.
 */
public final class CircuitBreakerConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** How the breaker remembers recent outcomes. */
    public enum WindowType {
        /** The last {@code windowSize} calls. */
        COUNT,
        /** The calls of the last {@code windowDuration}. */
        TIME
    }

    public static final int DEFAULT_WINDOW_SIZE = 50;
    public static final int DEFAULT_MINIMUM_CALLS = 20;
    public static final int DEFAULT_HALF_OPEN_CALLS = 5;
    public static final double DEFAULT_FAILURE_RATE_THRESHOLD = 0.5;
    public static final Duration DEFAULT_WINDOW_DURATION = Duration.ofSeconds(60);
    public static final Duration DEFAULT_OPEN_DURATION = Duration.ofSeconds(1);
    public static final double DEFAULT_OPEN_DURATION_MULTIPLIER = 2.0;
    static final Duration DEFAULT_MAX_OPEN_DURATION_FLOOR = Duration.ofSeconds(30);

    static final int MAX_WINDOW_SIZE = 1_000_000;
    static final int MAX_HALF_OPEN_CALLS = 10_000;
    static final double MAX_MULTIPLIER = 100.0;
    static final Duration MIN_WINDOW_DURATION = Duration.ofMillis(1);
    static final Duration MAX_DURATION = Duration.ofDays(365);

    // Option keys, relative to the prefix.
    static final String K_NAME = "name";
    static final String K_WINDOW_TYPE = "windowType";
    static final String K_WINDOW_SIZE = "windowSize";
    static final String K_WINDOW_DURATION = "windowDuration";
    static final String K_FAILURE_RATE = "failureRateThreshold";
    static final String K_MINIMUM_CALLS = "minimumCalls";
    static final String K_SLOW_DURATION = "slowCallDuration";
    static final String K_SLOW_RATE = "slowCallRateThreshold";
    static final String K_HALF_OPEN_CALLS = "halfOpenCalls";
    static final String K_OPEN_DURATION = "openDuration";
    static final String K_OPEN_MULTIPLIER = "openDurationMultiplier";
    static final String K_MAX_OPEN_DURATION = "maxOpenDuration";

    private final String name;
    private final WindowType windowType;
    private final int windowSize;
    private final Duration windowDuration;
    private final double failureRateThreshold;
    private final int minimumCalls;
    private final Duration slowCallDurationThreshold; // null: slow calls are not detected
    private final double slowCallRateThreshold;
    private final int permittedCallsInHalfOpen;
    private final Duration openDuration;
    private final double openDurationMultiplier;
    private final Duration maxOpenDuration;
    private final Scope scope;
    private final BreakerBoardFactory board;

    CircuitBreakerConfig(CircuitBreakerBuilder b, Duration resolvedMaxOpen) {
        this.name = b.name;
        this.windowType = b.windowType;
        this.windowSize = b.windowSize;
        this.windowDuration = b.windowDuration;
        this.failureRateThreshold = b.failureRateThreshold;
        this.minimumCalls = b.minimumCalls;
        this.slowCallDurationThreshold = b.slowCallDurationThreshold;
        this.slowCallRateThreshold = b.slowCallRateThreshold;
        this.permittedCallsInHalfOpen = b.permittedCallsInHalfOpen;
        this.openDuration = b.openDuration;
        this.openDurationMultiplier = b.openDurationMultiplier;
        this.maxOpenDuration = resolvedMaxOpen;
        this.scope = b.scope;
        this.board = b.board;
    }

    /** A builder with the defaults described above. */
    public static CircuitBreakerBuilder builder(String name) {
        return new CircuitBreakerBuilder(name);
    }

    /** A builder for a breaker named {@code "breaker"}; prefer {@link #builder(String)}. */
    public static CircuitBreakerBuilder builder() {
        return new CircuitBreakerBuilder("breaker");
    }

    private static final OptionSchema.Declarer<CircuitBreakerConfig> D = OptionSchema.declarer(CircuitBreakerConfig.class);
    private static final Duration MIN_POSITIVE = Duration.ofNanos(1);

    static final OptionSchema.Option<CircuitBreakerConfig, String> NAME = D.option(K_NAME, OptionType.text(),
        null, CircuitBreakerConfig::name, "Names the breaker in logs, metrics and the cluster's breaker board.")
        .defaultDoc("the policy's name");
    static final OptionSchema.Option<CircuitBreakerConfig, WindowType> WINDOW_TYPE = D.option(K_WINDOW_TYPE,
        OptionType.enumeration(WindowType.class), WindowType.COUNT, CircuitBreakerConfig::windowType,
        "count: the last windowSize calls; time: the calls of the last windowDuration.");
    static final OptionSchema.Option<CircuitBreakerConfig, Integer> WINDOW_SIZE = D.option(K_WINDOW_SIZE,
        OptionType.integer(1, MAX_WINDOW_SIZE), DEFAULT_WINDOW_SIZE, CircuitBreakerConfig::windowSize,
        "Calls a count window keeps.");
    static final OptionSchema.Option<CircuitBreakerConfig, Duration> WINDOW_DURATION = D.option(K_WINDOW_DURATION,
        OptionType.duration(MIN_WINDOW_DURATION, MAX_DURATION), DEFAULT_WINDOW_DURATION, CircuitBreakerConfig::windowDuration,
        "Time a time window covers (20 buckets).");
    static final OptionSchema.Option<CircuitBreakerConfig, Double> FAILURE_RATE = D.option(K_FAILURE_RATE,
        OptionType.decimalAbove(0.0, 1.0), DEFAULT_FAILURE_RATE_THRESHOLD, CircuitBreakerConfig::failureRateThreshold,
        "Opens when at least this fraction of the window's calls failed.");
    static final OptionSchema.Option<CircuitBreakerConfig, Integer> MINIMUM_CALLS = D.option(K_MINIMUM_CALLS,
        OptionType.integer(1, MAX_WINDOW_SIZE), DEFAULT_MINIMUM_CALLS, CircuitBreakerConfig::minimumCalls,
        "Calls the window needs before the rates are looked at (at most windowSize count).");
    static final OptionSchema.Option<CircuitBreakerConfig, Duration> SLOW_DURATION = D.option(K_SLOW_DURATION,
        OptionType.duration(MIN_POSITIVE, MAX_DURATION), null, c -> c.slowCallDurationThreshold,
        "Calls taking at least this long are slow; not set: slow calls are not detected.");
    static final OptionSchema.Option<CircuitBreakerConfig, Double> SLOW_RATE = D.option(K_SLOW_RATE,
        OptionType.decimalAbove(0.0, 1.0), 1.0, CircuitBreakerConfig::slowCallRateThreshold,
        "Opens when at least this fraction of the window's calls were slow.");
    static final OptionSchema.Option<CircuitBreakerConfig, Integer> HALF_OPEN_CALLS = D.option(K_HALF_OPEN_CALLS,
        OptionType.integer(1, MAX_HALF_OPEN_CALLS), DEFAULT_HALF_OPEN_CALLS, CircuitBreakerConfig::permittedCallsInHalfOpen,
        "Trial calls let through when half-open.");
    static final OptionSchema.Option<CircuitBreakerConfig, Duration> OPEN_DURATION = D.option(K_OPEN_DURATION,
        OptionType.duration(MIN_POSITIVE, MAX_DURATION), DEFAULT_OPEN_DURATION, CircuitBreakerConfig::openDuration,
        "How long the breaker stays open the first time.");
    static final OptionSchema.Option<CircuitBreakerConfig, Double> OPEN_MULTIPLIER = D.option(K_OPEN_MULTIPLIER,
        OptionType.decimal(1.0, MAX_MULTIPLIER), DEFAULT_OPEN_DURATION_MULTIPLIER, CircuitBreakerConfig::openDurationMultiplier,
        "Each consecutive re-open stays open this many times longer; 1 means no growth.");
    static final OptionSchema.Option<CircuitBreakerConfig, Duration> MAX_OPEN_DURATION = D.option(K_MAX_OPEN_DURATION,
        OptionType.duration(MIN_POSITIVE, MAX_DURATION), null, CircuitBreakerConfig::maxOpenDuration,
        "Cap of the grown open duration; at least openDuration.").defaultDoc("max(openDuration, 30s)");

    static final OptionSchema<CircuitBreakerConfig> SCHEMA = OptionSchema.<CircuitBreakerConfig>builder("Circuit breaker (`breaker.*`)")
        .description("When the failure rate (or slow-call rate) of recent calls crosses its threshold, the breaker "
            + "opens and calls fail fast without reaching the dependency; after the open duration a few trial "
            + "calls decide whether it closes again.")
        .addAll(D)
        .build(CircuitBreakerConfig::fromValues);

    private static CircuitBreakerConfig fromValues(OptionSchema.Values v) {
        String p = v.prefix();
        String defaultName = p.endsWith(".") ? p.substring(0, p.length() - 1) : p;
        CircuitBreakerBuilder b = new CircuitBreakerBuilder(v.isSet(NAME) ? v.get(NAME)
            : defaultName.isEmpty() ? "breaker" : defaultName);
        b.windowType(v.get(WINDOW_TYPE));
        b.windowSize(v.get(WINDOW_SIZE));
        b.windowDuration(v.get(WINDOW_DURATION));
        b.failureRateThreshold(v.get(FAILURE_RATE));
        b.minimumCalls(v.get(MINIMUM_CALLS));
        b.slowCallDurationThreshold(v.get(SLOW_DURATION));
        b.slowCallRateThreshold(v.get(SLOW_RATE));
        b.permittedCallsInHalfOpen(v.get(HALF_OPEN_CALLS));
        b.openDuration(v.get(OPEN_DURATION));
        b.openDurationMultiplier(v.get(OPEN_MULTIPLIER));
        b.maxOpenDuration(v.get(MAX_OPEN_DURATION));
        // Cross-field rules the types cannot see (maxOpenDuration below openDuration).
        b.validate((key, msg) -> v.problem(p + key, msg));
        if (b.maxOpenDuration != null && b.maxOpenDuration.compareTo(b.openDuration) < 0) {
            b.maxOpenDuration(null);
        }
        return b.buildUnchecked();
    }

    /** The options of a breaker section: keys, types, ranges, defaults and docs. */
    public static OptionSchema<CircuitBreakerConfig> optionSchema() {
        return SCHEMA;
    }

    /**
     * Reads a config from options under {@code prefix} (e.g. {@code "breaker."}); see
     * {@code docs/options.md} for the keys. The name defaults to the prefix without its trailing
     * dot. Every problem is recorded in {@code o} (nothing is thrown); unknown keys under a
     * non-empty prefix are problems too. Call {@link Options#throwIfInvalid()} after.
     *
     * @return the config, or {@code null} if any problem was found
     */
    public static CircuitBreakerConfig fromOptions(Options o, String prefix) {
        String p = prefix == null ? "" : prefix;
        int before = o.problems().size();
        CircuitBreakerConfig c = SCHEMA.read(o, p, !p.isEmpty());
        return o.problems().size() > before ? null : c;
    }

    /** Parses options under {@code prefix}; throws one {@link io.resiliencekit.config.ConfigException} naming every problem. */
    public static CircuitBreakerConfig fromOptions(Map<String, String> options, String prefix) {
        return SCHEMA.parse(options, prefix);
    }

    /** The options that {@link #fromOptions(Options, String)} turns back into an equal config. */
    public Map<String, String> toOptions(String prefix) {
        return SCHEMA.toOptions(this, prefix);
    }

    /** A builder pre-filled with this config's values. */
    public CircuitBreakerBuilder toBuilder() {
        return new CircuitBreakerBuilder(name)
            .windowType(windowType).windowSize(windowSize).windowDuration(windowDuration)
            .failureRateThreshold(failureRateThreshold).minimumCalls(minimumCalls)
            .slowCallDurationThreshold(slowCallDurationThreshold).slowCallRateThreshold(slowCallRateThreshold)
            .permittedCallsInHalfOpen(permittedCallsInHalfOpen).openDuration(openDuration)
            .openDurationMultiplier(openDurationMultiplier).maxOpenDuration(maxOpenDuration).scope(scope).board(board);
    }

    public String name() {
        return name;
    }

    public WindowType windowType() {
        return windowType;
    }

    /** Calls kept by a {@link WindowType#COUNT} window. */
    public int windowSize() {
        return windowSize;
    }

    /** Time covered by a {@link WindowType#TIME} window. */
    public Duration windowDuration() {
        return windowDuration;
    }

    /** Opens when the failure rate in the window is at least this, in (0, 1]. */
    public double failureRateThreshold() {
        return failureRateThreshold;
    }

    /** Calls needed in the window before the rates are looked at. */
    public int minimumCalls() {
        return minimumCalls;
    }

    /** Calls taking at least this long are slow; empty if slow calls are not detected. */
    public Optional<Duration> slowCallDurationThreshold() {
        return Optional.ofNullable(slowCallDurationThreshold);
    }

    /** Opens when the slow-call rate is at least this (only with a slow-call duration). */
    public double slowCallRateThreshold() {
        return slowCallRateThreshold;
    }

    /** Trial calls let through when half-open. */
    public int permittedCallsInHalfOpen() {
        return permittedCallsInHalfOpen;
    }

    /** How long the breaker stays open the first time. */
    public Duration openDuration() {
        return openDuration;
    }

    /** Factor applied to the open duration on each consecutive re-open; 1.0 means no growth. */
    public double openDurationMultiplier() {
        return openDurationMultiplier;
    }

    /** The factory of the board this breaker shares its verdicts through, if the spec names one. */
    public Optional<BreakerBoardFactory> board() {
        return Optional.ofNullable(board);
    }

    /** Where the breaker's verdicts are shared; {@link Scope#AUTO} by default. */
    public Scope scope() {
        return scope;
    }

    /** Cap of the grown open duration. */
    public Duration maxOpenDuration() {
        return maxOpenDuration;
    }

    /**
     * The open duration after {@code consecutiveOpens} opens without a close in between
     * (1 for the first open): {@code min(max, open * multiplier^(n-1))}.
     */
    public Duration openDurationFor(int consecutiveOpens) {
        if (consecutiveOpens <= 1 || openDurationMultiplier == 1.0) {
            return openDuration;
        }
        double nanos = openDuration.toNanos() * Math.pow(openDurationMultiplier, consecutiveOpens - 1);
        long max = maxOpenDuration.toNanos();
        return nanos >= max ? maxOpenDuration : Duration.ofNanos((long) nanos);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CircuitBreakerConfig)) {
            return false;
        }
        CircuitBreakerConfig c = (CircuitBreakerConfig) o;
        return windowSize == c.windowSize
            && Double.compare(failureRateThreshold, c.failureRateThreshold) == 0
            && minimumCalls == c.minimumCalls
            && Double.compare(slowCallRateThreshold, c.slowCallRateThreshold) == 0
            && permittedCallsInHalfOpen == c.permittedCallsInHalfOpen
            && Double.compare(openDurationMultiplier, c.openDurationMultiplier) == 0
            && name.equals(c.name)
            && windowType == c.windowType
            && windowDuration.equals(c.windowDuration)
            && Objects.equals(slowCallDurationThreshold, c.slowCallDurationThreshold)
            && openDuration.equals(c.openDuration)
            && maxOpenDuration.equals(c.maxOpenDuration)
            && scope == c.scope
            && Objects.equals(board, c.board);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, windowType, windowSize, windowDuration, failureRateThreshold, minimumCalls,
            slowCallDurationThreshold, slowCallRateThreshold, permittedCallsInHalfOpen, openDuration,
            openDurationMultiplier, maxOpenDuration);
    }

    @Override
    public String toString() {
        return "CircuitBreakerConfig" + SCHEMA.describe(this);
    }
}
