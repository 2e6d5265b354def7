package io.resiliencekit.retry;

import io.resiliencekit.spi.RetryBudgetFactory;

import io.resiliencekit.spi.Scope;

import io.resiliencekit.classify.FailureClassifier.SerializablePredicate;
import io.resiliencekit.config.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds a {@link RetryConfig}. {@link #build()} checks every setting and reports all problems in
 * one {@link ConfigException}.
 *
 * <pre>{@code
 * RetryConfig c = RetryConfig.builder().maxAttempts(4).jitter(Jitter.DECORRELATED).seed(7L).build();
 * }</pre>
 */
public final class RetryBuilder {

    int maxAttempts = RetryConfig.DEFAULT_MAX_ATTEMPTS;
    Duration maxDuration;
    Duration baseDelay = RetryConfig.DEFAULT_BASE;
    double multiplier = RetryConfig.DEFAULT_MULTIPLIER;
    Duration maxDelay = RetryConfig.DEFAULT_CAP;
    Jitter jitter = Jitter.FULL;
    Duration retryAfterCap;
    Long seed;
    boolean budgetEnabled = true;
    double budgetRatio = RetryConfig.DEFAULT_BUDGET_RATIO;
    int budgetReserve = RetryConfig.DEFAULT_BUDGET_RESERVE;
    Scope budgetScope = Scope.AUTO;
    RetryBudgetFactory budgetFactory;
    final List<String> abortOn = new ArrayList<>();
    final List<SerializablePredicate<Throwable>> abortIf = new ArrayList<>();

    RetryBuilder() {
    }

    /** Attempts in all, the first included; 1 means no retry. */
    public RetryBuilder maxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
        return this;
    }

    /** Gives up when the next retry would start after this much time since the first attempt. */
    public RetryBuilder maxDuration(Duration maxDuration) {
        this.maxDuration = maxDuration;
        return this;
    }

    /** Delay before retry n is {@code min(maxDelay, base * multiplier^(n-1))} before jitter. */
    public RetryBuilder backoff(Duration base, double multiplier, Duration maxDelay) {
        this.baseDelay = Objects.requireNonNull(base, "base");
        this.multiplier = multiplier;
        this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
        return this;
    }

    public RetryBuilder jitter(Jitter jitter) {
        this.jitter = Objects.requireNonNull(jitter, "jitter");
        return this;
    }

    /** Server hints ({@code Retry-After}) win over the computed delay, up to this; defaults to maxDelay. */
    public RetryBuilder retryAfterCap(Duration cap) {
        this.retryAfterCap = cap;
        return this;
    }

    /** Makes every delay sequence reproducible: same seed, same calls, same delays. */
    public RetryBuilder seed(Long seed) {
        this.seed = seed;
        return this;
    }

    /** Retries at most {@code reserve + ratio * calls} over any interval; see {@link io.resiliencekit.spi.RetryBudget}. */
    public RetryBuilder budget(boolean enabled, double ratio, int reserve) {
        this.budgetEnabled = enabled;
        this.budgetRatio = ratio;
        this.budgetReserve = reserve;
        return this;
    }

    /** Where the budget lives: {@link Scope#AUTO} (the cluster's, if the runtime is bound to one and offers one). */
    public RetryBuilder budgetScope(Scope scope) {
        this.budgetScope = Objects.requireNonNull(scope, "scope");
        return this;
    }

    /** The budget {@code factory} makes, whatever the scope ({@code null}: by scope); enables the budget. */
    public RetryBuilder budget(RetryBudgetFactory factory) {
        this.budgetFactory = factory;
        this.budgetEnabled = factory != null || budgetEnabled;
        return this;
    }

    public RetryBuilder noBudget() {
        this.budgetEnabled = false;
        return this;
    }

    /** Stops at once, without retrying, on failures of these types. */
    @SafeVarargs
    public final RetryBuilder abortOn(Class<? extends Throwable>... types) {
        for (Class<? extends Throwable> t : types) {
            abortOn.add(t.getName());
        }
        return this;
    }

    RetryBuilder abortOnClassName(String name) {
        abortOn.add(name);
        return this;
    }

    /** Stops at once, without retrying, on failures matching this (serializable) predicate. */
    public RetryBuilder abortIf(SerializablePredicate<Throwable> predicate) {
        abortIf.add(Objects.requireNonNull(predicate, "predicate"));
        return this;
    }

    public RetryConfig build() {
        List<String> problems = new ArrayList<>();
        if (maxAttempts < 1) {
            problems.add("retry.maxAttempts: must be at least 1, was " + maxAttempts);
        }
        if (maxDuration != null && (maxDuration.isNegative() || maxDuration.isZero())) {
            problems.add("retry.maxDuration: must be positive, was " + maxDuration);
        }
        if (baseDelay.isNegative()) {
            problems.add("retry.baseDelay: must be zero or positive, was " + baseDelay);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            problems.add("retry.multiplier: must be at least 1.0, was " + multiplier);
        }
        if (maxDelay.compareTo(baseDelay) < 0) {
            problems.add("retry.maxDelay: must be at least retry.baseDelay (" + baseDelay + "), was " + maxDelay);
        }
        if (retryAfterCap != null && retryAfterCap.isNegative()) {
            problems.add("retry.retryAfterCap: must not be negative, was " + retryAfterCap);
        }
        if (!(budgetRatio >= 0) || Double.isInfinite(budgetRatio)) {
            problems.add("retry.budget.ratio: must be zero or more, was " + budgetRatio);
        }
        if (budgetReserve < 0) {
            problems.add("retry.budget.reserve: must be zero or more, was " + budgetReserve);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new RetryConfig(this);
    }

    /** For options parsing, where problems were already recorded: falls back to defaults where invalid. */
    RetryConfig buildUnchecked() {
        try {
            return build();
        } catch (ConfigException e) {
            return new RetryBuilder().build();
        }
    }
}
