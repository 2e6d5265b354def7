package io.resiliencekit.retry;

import io.resiliencekit.spi.RetryBudgetFactory;

import io.resiliencekit.spi.Scope;

import io.resiliencekit.classify.FailureClassifier.SerializablePredicate;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.internal.Text;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable, {@link Serializable} retry settings: attempts, deadline, backoff with jitter, the cap
 * on server hints, the retry budget, and abort conditions. What is retried at all is decided by the
 * policy's {@link io.resiliencekit.classify.FailureClassifier}.
 *
 * <pre>{@code
 * RetryConfig retry = RetryConfig.builder()
 *     .maxAttempts(5)
 *     .backoff(Duration.ofMillis(200), 2.0, Duration.ofSeconds(30))
 *     .jitter(Jitter.FULL)
 *     .maxDuration(Duration.ofMinutes(2))
 *     .build();
 * // or from strings, e.g. Spark options:
 * RetryConfig same = RetryConfig.fromOptions(Map.of("retry.maxAttempts", "5", "retry.baseDelay", "200ms"));
 * }</pre>
 *
 * <h2>Options</h2>
 * Keys under a prefix (default {@code retry.}): {@code maxAttempts} (3), {@code maxDuration}
 * (none), {@code baseDelay} (100ms), {@code multiplier} (2.0), {@code maxDelay} (10s),
 * {@code jitter} (none|full|equal|decorrelated; full), {@code retryAfterCap} (= maxDelay),
 * {@code seed} (none), {@code budget.enabled} (true), {@code budget.ratio} (0.2),
 * {@code budget.reserve} (50), {@code abortOn} (comma-separated exception class names).
 */
public final class RetryConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    static final int DEFAULT_MAX_ATTEMPTS = 3;
    static final Duration DEFAULT_BASE = Duration.ofMillis(100);
    static final double DEFAULT_MULTIPLIER = 2.0;
    static final Duration DEFAULT_CAP = Duration.ofSeconds(10);
    /**
     * The longest server hint ({@code Retry-After}) a policy honours when its retry settings do not
     * say otherwise: the default {@code maxDelay}, which is also what caps a policy without retries.
     */
    public static final Duration DEFAULT_RETRY_AFTER_CAP = DEFAULT_CAP;
    static final double DEFAULT_BUDGET_RATIO = 0.2;
    static final int DEFAULT_BUDGET_RESERVE = 50;

    final int maxAttempts;
    final Duration maxDuration;
    final Backoff backoff;
    final Duration retryAfterCap;
    final Long seed;
    final boolean budgetEnabled;
    final double budgetRatio;
    final int budgetReserve;
    final Scope budgetScope;
    final RetryBudgetFactory budgetFactory;
    final List<String> abortOn;
    final List<SerializablePredicate<Throwable>> abortIf;

    RetryConfig(RetryBuilder b) {
        this.maxAttempts = b.maxAttempts;
        this.maxDuration = b.maxDuration;
        this.backoff = Backoff.exponential(b.baseDelay, b.multiplier, b.maxDelay, b.jitter);
        this.retryAfterCap = b.retryAfterCap == null ? b.maxDelay : b.retryAfterCap;
        this.seed = b.seed;
        this.budgetEnabled = b.budgetEnabled;
        this.budgetRatio = b.budgetRatio;
        this.budgetReserve = b.budgetReserve;
        this.budgetScope = b.budgetScope;
        this.budgetFactory = b.budgetFactory;
        this.abortOn = List.copyOf(b.abortOn);
        this.abortIf = List.copyOf(b.abortIf);
    }

    public static RetryBuilder builder() {
        return new RetryBuilder();
    }

    /** Defaults: 3 attempts, 100 ms doubling to 10 s with full jitter, budget 20% + 50. */
    public static RetryConfig defaults() {
        return builder().build();
    }

    private static final OptionSchema.Declarer<RetryConfig> D = OptionSchema.declarer(RetryConfig.class);
    static final OptionSchema.Option<RetryConfig, Integer> MAX_ATTEMPTS = D.option("maxAttempts",
        OptionType.integer(1, 1000), DEFAULT_MAX_ATTEMPTS, RetryConfig::maxAttempts,
        "Attempts in all, the first included; 1 means no retry.");
    static final OptionSchema.Option<RetryConfig, Duration> MAX_DURATION = D.option("maxDuration",
        OptionType.duration(Duration.ofMillis(1), Duration.ofDays(7)), null, c -> c.maxDuration,
        "Gives up when the next retry would start later than this after the first attempt.");
    static final OptionSchema.Option<RetryConfig, Duration> BASE_DELAY = D.option("baseDelay",
        OptionType.duration(Duration.ZERO, Duration.ofHours(1)), DEFAULT_BASE, c -> c.backoff.base(),
        "Delay before the first retry, before jitter.");
    static final OptionSchema.Option<RetryConfig, Double> MULTIPLIER = D.option("multiplier",
        OptionType.decimal(1.0, 100.0), DEFAULT_MULTIPLIER, c -> c.backoff.multiplier(),
        "Each retry's delay is the previous one times this, up to maxDelay.");
    static final OptionSchema.Option<RetryConfig, Duration> MAX_DELAY = D.option("maxDelay",
        OptionType.duration(Duration.ZERO, Duration.ofDays(1)), DEFAULT_CAP, c -> c.backoff.cap(),
        "Cap of the computed delay; at least baseDelay.").defaultDoc("10s, or baseDelay if longer");
    static final OptionSchema.Option<RetryConfig, Jitter> JITTER = D.option("jitter",
        OptionType.enumeration(Jitter.class), Jitter.FULL, c -> c.backoff.jitter(),
        "How the delay is randomised (the AWS backoff study's modes).");
    static final OptionSchema.Option<RetryConfig, Duration> RETRY_AFTER_CAP = D.option("retryAfterCap",
        OptionType.duration(Duration.ZERO, Duration.ofDays(1)), null, c -> c.retryAfterCap,
        "A server's Retry-After hint wins over the computed delay, up to this.").defaultDoc("= maxDelay");
    static final OptionSchema.Option<RetryConfig, Long> SEED = D.option("seed",
        OptionType.longInteger(Long.MIN_VALUE, Long.MAX_VALUE), null, c -> c.seed,
        "Seeds the jitter so delay sequences are reproducible (tests).");
    static final OptionSchema.Option<RetryConfig, Boolean> BUDGET_ENABLED = D.option("budget.enabled",
        OptionType.bool(), true, c -> c.budgetEnabled,
        "Retries are limited to a fraction of calls, so a dependency that is down is not hammered.");
    static final OptionSchema.Option<RetryConfig, Double> BUDGET_RATIO = D.option("budget.ratio",
        OptionType.decimal(0.0, 1000.0), DEFAULT_BUDGET_RATIO, c -> c.budgetRatio,
        "Retries allowed per call made.");
    static final OptionSchema.Option<RetryConfig, Integer> BUDGET_RESERVE = D.option("budget.reserve",
        OptionType.integer(0, 1_000_000), DEFAULT_BUDGET_RESERVE, c -> c.budgetReserve,
        "Retries always allowed on top of the ratio.");
    static final OptionSchema.Option<RetryConfig, List<String>> ABORT_ON = D.option("abortOn",
        OptionType.throwableClassNames(), null, c -> c.abortOn.isEmpty() ? null : c.abortOn,
        "Failures of these classes (or subclasses) stop at once, whatever their classification.");

    static final OptionSchema<RetryConfig> SCHEMA = OptionSchema.<RetryConfig>builder("Retry (`retry.*`)")
        .description("How failed calls are retried: attempts, deadline, exponential backoff with jitter, "
            + "`Retry-After` hints, the retry budget and abort conditions. What is retried at all is decided by "
            + "the failure classifier (transient, throttled, permanent).")
        .addAll(D)
        .build(RetryConfig::fromValues);

    private static RetryConfig fromValues(OptionSchema.Values v) {
        RetryBuilder b = builder();
        b.maxAttempts(v.get(MAX_ATTEMPTS));
        b.maxDuration(v.get(MAX_DURATION));
        Duration base = v.get(BASE_DELAY);
        // a base delay above the default cap raises the cap, rather than being a problem about a key nobody set
        Duration cap = v.isSet(MAX_DELAY) || base.compareTo(DEFAULT_CAP) <= 0 ? v.get(MAX_DELAY) : base;
        if (cap.compareTo(base) < 0) {
            v.problem(MAX_DELAY, "must be at least " + v.key(BASE_DELAY) + " (" + Text.duration(base) + "), was "
                + Text.duration(cap));
            cap = base;
        }
        b.backoff(base, v.get(MULTIPLIER), cap);
        b.jitter(v.get(JITTER));
        b.retryAfterCap(v.get(RETRY_AFTER_CAP));
        b.seed(v.get(SEED));
        b.budget(v.get(BUDGET_ENABLED), v.get(BUDGET_RATIO), v.get(BUDGET_RESERVE));
        if (v.get(ABORT_ON) != null) {
            v.get(ABORT_ON).forEach(b::abortOnClassName);
        }
        return b.buildUnchecked();
    }

    /** The options of a retry section: keys, types, ranges, defaults and docs. */
    public static OptionSchema<RetryConfig> optionSchema() {
        return SCHEMA;
    }

    /** Parses options under {@code retry.}; throws one {@link io.resiliencekit.config.ConfigException} with every problem. */
    public static RetryConfig fromOptions(Map<String, String> options) {
        return SCHEMA.parse(options, "retry.");
    }

    /** Reads options under {@code prefix}, recording problems in {@code o} instead of throwing. */
    public static RetryConfig fromOptions(Options o, String prefix) {
        return SCHEMA.read(o, prefix, false);
    }

    /** The options that {@link #fromOptions} turns back into an equal config (abort predicates excepted). */
    public Map<String, String> toOptions(String prefix) {
        return SCHEMA.toOptions(this, prefix);
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Optional<Duration> maxDuration() {
        return Optional.ofNullable(maxDuration);
    }

    public Backoff backoff() {
        return backoff;
    }

    /** Server hints ({@code Retry-After}) are honoured up to this. */
    public Duration retryAfterCap() {
        return retryAfterCap;
    }

    public Optional<Long> seed() {
        return Optional.ofNullable(seed);
    }

    public boolean budgetEnabled() {
        return budgetEnabled;
    }

    public double budgetRatio() {
        return budgetRatio;
    }

    public int budgetReserve() {
        return budgetReserve;
    }

    /** The factory of this policy's retry budget, if the spec names one. */
    public Optional<RetryBudgetFactory> budgetFactory() {
        return Optional.ofNullable(budgetFactory);
    }

    /** Where the retry budget lives; {@link Scope#AUTO} by default. */
    public Scope budgetScope() {
        return budgetScope;
    }

    public List<String> abortOn() {
        return abortOn;
    }

    /** True if the failure matches an abort condition: stop at once, whatever its classification. */
    public boolean isAbort(Throwable failure) {
        if (failure == null) {
            return false;
        }
        for (String name : abortOn) {
            for (Class<?> c = failure.getClass(); c != null; c = c.getSuperclass()) {
                if (c.getName().equals(name)) {
                    return true;
                }
            }
        }
        for (SerializablePredicate<Throwable> p : abortIf) {
            if (p.test(failure)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RetryConfig)) {
            return false;
        }
        RetryConfig r = (RetryConfig) o;
        return maxAttempts == r.maxAttempts && Objects.equals(maxDuration, r.maxDuration)
            && backoff.equals(r.backoff) && retryAfterCap.equals(r.retryAfterCap) && Objects.equals(seed, r.seed)
            && budgetEnabled == r.budgetEnabled && Double.compare(budgetRatio, r.budgetRatio) == 0
            && budgetReserve == r.budgetReserve && budgetScope == r.budgetScope && Objects.equals(budgetFactory, r.budgetFactory) && abortOn.equals(r.abortOn) && abortIf.equals(r.abortIf);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxAttempts, maxDuration, backoff, retryAfterCap, seed, budgetEnabled, budgetRatio,
            budgetReserve, abortOn);
    }

    @Override
    public String toString() {
        return "RetryConfig" + SCHEMA.describe(this) + (abortIf.isEmpty() ? "" : " + " + abortIf.size() + " abortIf predicates");
    }
}
