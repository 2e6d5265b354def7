package io.resiliencekit.retry;

import io.resiliencekit.spi.RetryBudgetFactory;

import io.resiliencekit.spi.Scope;

import io.resiliencekit.classify.FailureClassifier.SerializablePredicate;
import io.resiliencekit.config.Options;
import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
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

    /** Parses options under {@code retry.}; throws one {@link io.resiliencekit.config.ConfigException} with every problem. */
    public static RetryConfig fromOptions(Map<String, String> options) {
        Options o = Options.of(options);
        RetryConfig c = fromOptions(o, "retry.");
        o.rejectUnknown("retry.");
        o.throwIfInvalid();
        return c;
    }

    /** Reads options under {@code prefix}, recording problems in {@code o} instead of throwing. */
    public static RetryConfig fromOptions(Options o, String prefix) {
        RetryBuilder b = builder();
        b.maxAttempts(o.intValue(prefix + "maxAttempts", DEFAULT_MAX_ATTEMPTS, 1, 1000));
        o.string(prefix + "maxDuration").ifPresent(v ->
            b.maxDuration(o.duration(prefix + "maxDuration", null, Duration.ofMillis(1), Duration.ofDays(7))));
        Duration base = o.duration(prefix + "baseDelay", DEFAULT_BASE, Duration.ZERO, Duration.ofHours(1));
        double mult = o.doubleValue(prefix + "multiplier", DEFAULT_MULTIPLIER, 1.0, 100.0);
        Duration cap = o.duration(prefix + "maxDelay", DEFAULT_CAP, Duration.ZERO, Duration.ofDays(1));
        if (cap.compareTo(base) < 0) {
            o.problem(prefix + "maxDelay", "must be at least " + prefix + "baseDelay (" + base + "), was " + cap);
            cap = base;
        }
        b.backoff(base, mult, cap);
        b.jitter(o.enumValue(prefix + "jitter", Jitter.FULL, Jitter.class));
        if (o.has(prefix + "retryAfterCap")) {
            b.retryAfterCap(o.duration(prefix + "retryAfterCap", cap, Duration.ZERO, Duration.ofDays(1)));
        }
        if (o.has(prefix + "seed")) {
            b.seed(o.longValue(prefix + "seed", 0L, Long.MIN_VALUE, Long.MAX_VALUE));
        }
        b.budget(o.booleanValue(prefix + "budget.enabled", true),
            o.doubleValue(prefix + "budget.ratio", DEFAULT_BUDGET_RATIO, 0.0, 1000.0),
            o.intValue(prefix + "budget.reserve", DEFAULT_BUDGET_RESERVE, 0, 1_000_000));
        o.string(prefix + "abortOn").ifPresent(list -> {
            for (String name : list.split(",")) {
                String n = name.trim();
                if (n.isEmpty()) {
                    continue;
                }
                try {
                    Class<?> type = Class.forName(n, false, Thread.currentThread().getContextClassLoader());
                    if (!Throwable.class.isAssignableFrom(type)) {
                        o.problem(prefix + "abortOn", "'" + n + "' is not a Throwable");
                    } else {
                        b.abortOnClassName(n);
                    }
                } catch (ClassNotFoundException | LinkageError e) {
                    o.problem(prefix + "abortOn", "class '" + n + "' not found");
                }
            }
        });
        return b.buildUnchecked();
    }

    /** The options that {@link #fromOptions} turns back into an equal config (abort predicates excepted). */
    public Map<String, String> toOptions(String prefix) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(prefix + "maxAttempts", Integer.toString(maxAttempts));
        if (maxDuration != null) {
            m.put(prefix + "maxDuration", maxDuration.toString());
        }
        m.put(prefix + "baseDelay", backoff.base().toString());
        m.put(prefix + "multiplier", Double.toString(backoff.multiplier()));
        m.put(prefix + "maxDelay", backoff.cap().toString());
        m.put(prefix + "jitter", backoff.jitter().name().toLowerCase(java.util.Locale.ROOT));
        m.put(prefix + "retryAfterCap", retryAfterCap.toString());
        if (seed != null) {
            m.put(prefix + "seed", seed.toString());
        }
        m.put(prefix + "budget.enabled", Boolean.toString(budgetEnabled));
        m.put(prefix + "budget.ratio", Double.toString(budgetRatio));
        m.put(prefix + "budget.reserve", Integer.toString(budgetReserve));
        if (!abortOn.isEmpty()) {
            m.put(prefix + "abortOn", String.join(",", abortOn));
        }
        return m;
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
        return "RetryConfig{maxAttempts=" + maxAttempts + ", maxDuration=" + maxDuration + ", " + backoff
            + ", retryAfterCap=" + retryAfterCap + ", seeded=" + (seed != null)
            + ", budget=" + (budgetEnabled ? budgetRatio + "+" + budgetReserve : "off")
            + ", abortOn=" + abortOn + ", abortIf=" + abortIf.size() + '}';
    }
}
