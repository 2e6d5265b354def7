package io.resiliencekit.breaker;

import io.resiliencekit.spi.BreakerBoardFactory;

import io.resiliencekit.spi.Scope;

import io.resiliencekit.breaker.CircuitBreakerConfig.WindowType;
import io.resiliencekit.config.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Builds a {@link CircuitBreakerConfig}; {@link #build()} checks every value and reports all
 * problems at once in one {@link ConfigException}.
 *
 * <pre>{@code
 * CircuitBreakerConfig config = CircuitBreakerConfig.builder("payments")
 *     .timeWindow(Duration.ofSeconds(30))
 *     .failureRateThreshold(0.25)
 *     .minimumCalls(50)
 *     .permittedCallsInHalfOpen(3)
 *     .build();
 * }</pre>
 */
public final class CircuitBreakerBuilder {

    String name;
    WindowType windowType = WindowType.COUNT;
    int windowSize = CircuitBreakerConfig.DEFAULT_WINDOW_SIZE;
    Duration windowDuration = CircuitBreakerConfig.DEFAULT_WINDOW_DURATION;
    double failureRateThreshold = CircuitBreakerConfig.DEFAULT_FAILURE_RATE_THRESHOLD;
    int minimumCalls = CircuitBreakerConfig.DEFAULT_MINIMUM_CALLS;
    Duration slowCallDurationThreshold;
    double slowCallRateThreshold = 1.0;
    int permittedCallsInHalfOpen = CircuitBreakerConfig.DEFAULT_HALF_OPEN_CALLS;
    Duration openDuration = CircuitBreakerConfig.DEFAULT_OPEN_DURATION;
    double openDurationMultiplier = CircuitBreakerConfig.DEFAULT_OPEN_DURATION_MULTIPLIER;
    Scope scope = Scope.AUTO;
    BreakerBoardFactory board;
    Duration maxOpenDuration; // null: max(openDuration, 30 s)

    CircuitBreakerBuilder(String name) {
        this.name = name;
    }

    public CircuitBreakerBuilder name(String name) {
        this.name = name;
        return this;
    }

    /** A count window of the last {@code size} calls. */
    public CircuitBreakerBuilder countWindow(int size) {
        this.windowType = WindowType.COUNT;
        this.windowSize = size;
        return this;
    }

    /** A time window of the calls of the last {@code duration}. */
    public CircuitBreakerBuilder timeWindow(Duration duration) {
        this.windowType = WindowType.TIME;
        this.windowDuration = duration;
        return this;
    }

    public CircuitBreakerBuilder windowType(WindowType type) {
        this.windowType = type;
        return this;
    }

    public CircuitBreakerBuilder windowSize(int size) {
        this.windowSize = size;
        return this;
    }

    public CircuitBreakerBuilder windowDuration(Duration duration) {
        this.windowDuration = duration;
        return this;
    }

    /** Open when at least this fraction of the calls in the window failed; in (0, 1]. */
    public CircuitBreakerBuilder failureRateThreshold(double threshold) {
        this.failureRateThreshold = threshold;
        return this;
    }

    public CircuitBreakerBuilder minimumCalls(int calls) {
        this.minimumCalls = calls;
        return this;
    }

    /** Calls of at least {@code duration} are slow; open when at least {@code rate} of calls are slow. */
    public CircuitBreakerBuilder slowCalls(Duration duration, double rate) {
        this.slowCallDurationThreshold = duration;
        this.slowCallRateThreshold = rate;
        return this;
    }

    /** {@code null} turns slow-call detection off. */
    public CircuitBreakerBuilder slowCallDurationThreshold(Duration duration) {
        this.slowCallDurationThreshold = duration;
        return this;
    }

    public CircuitBreakerBuilder slowCallRateThreshold(double rate) {
        this.slowCallRateThreshold = rate;
        return this;
    }

    /**
     * Where the breaker's verdicts are shared: {@link Scope#AUTO} (default) binds it to the cluster's
     * breaker board when the runtime is bound to a cluster; {@link Scope#JVM} keeps it to this JVM.
     */
    public CircuitBreakerBuilder scope(Scope scope) {
        this.scope = java.util.Objects.requireNonNull(scope, "scope");
        return this;
    }

    /** Shares verdicts through the board {@code factory} makes, whatever the scope ({@code null}: by scope). */
    public CircuitBreakerBuilder board(BreakerBoardFactory factory) {
        this.board = factory;
        return this;
    }

    public CircuitBreakerBuilder permittedCallsInHalfOpen(int calls) {
        this.permittedCallsInHalfOpen = calls;
        return this;
    }

    public CircuitBreakerBuilder openDuration(Duration duration) {
        this.openDuration = duration;
        return this;
    }

    /** Each consecutive re-open multiplies the open duration by {@code multiplier}, up to {@code max}. */
    public CircuitBreakerBuilder openDurationGrowth(double multiplier, Duration max) {
        this.openDurationMultiplier = multiplier;
        this.maxOpenDuration = max;
        return this;
    }

    public CircuitBreakerBuilder openDurationMultiplier(double multiplier) {
        this.openDurationMultiplier = multiplier;
        return this;
    }

    /** {@code null} means the larger of the open duration and 10 minutes. */
    public CircuitBreakerBuilder maxOpenDuration(Duration max) {
        this.maxOpenDuration = max;
        return this;
    }

    /** @throws ConfigException naming every invalid value */
    public CircuitBreakerConfig build() {
        List<String> problems = new ArrayList<>();
        validate((key, msg) -> problems.add(key + ": " + msg));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return buildUnchecked();
    }

    CircuitBreakerConfig buildUnchecked() {
        Duration max = maxOpenDuration;
        if (max == null) {
            max = openDuration.compareTo(CircuitBreakerConfig.DEFAULT_MAX_OPEN_DURATION_FLOOR) > 0
                ? openDuration : CircuitBreakerConfig.DEFAULT_MAX_OPEN_DURATION_FLOOR;
        }
        return new CircuitBreakerConfig(this, max);
    }

    void validate(BiConsumer<String, String> problem) {
        if (name == null || name.isBlank()) {
            problem.accept(CircuitBreakerConfig.K_NAME, "must not be blank");
        }
        if (windowType == null) {
            problem.accept(CircuitBreakerConfig.K_WINDOW_TYPE, "must be count or time");
        }
        if (windowSize < 1 || windowSize > CircuitBreakerConfig.MAX_WINDOW_SIZE) {
            problem.accept(CircuitBreakerConfig.K_WINDOW_SIZE,
                "must be between 1 and " + CircuitBreakerConfig.MAX_WINDOW_SIZE + ", was " + windowSize);
        }
        if (windowDuration == null || windowDuration.compareTo(CircuitBreakerConfig.MIN_WINDOW_DURATION) < 0
            || windowDuration.compareTo(CircuitBreakerConfig.MAX_DURATION) > 0) {
            problem.accept(CircuitBreakerConfig.K_WINDOW_DURATION, "must be between 1ms and 365 days, was " + windowDuration);
        }
        if (!(failureRateThreshold > 0.0 && failureRateThreshold <= 1.0)) {
            problem.accept(CircuitBreakerConfig.K_FAILURE_RATE, "must be in (0, 1], was " + failureRateThreshold);
        }
        if (minimumCalls < 1 || minimumCalls > CircuitBreakerConfig.MAX_WINDOW_SIZE) {
            problem.accept(CircuitBreakerConfig.K_MINIMUM_CALLS,
                "must be between 1 and " + CircuitBreakerConfig.MAX_WINDOW_SIZE + ", was " + minimumCalls);
        }
        if (slowCallDurationThreshold != null && (slowCallDurationThreshold.isNegative() || slowCallDurationThreshold.isZero())) {
            problem.accept(CircuitBreakerConfig.K_SLOW_DURATION, "must be positive, was " + slowCallDurationThreshold);
        }
        if (!(slowCallRateThreshold > 0.0 && slowCallRateThreshold <= 1.0)) {
            problem.accept(CircuitBreakerConfig.K_SLOW_RATE, "must be in (0, 1], was " + slowCallRateThreshold);
        }
        if (permittedCallsInHalfOpen < 1 || permittedCallsInHalfOpen > CircuitBreakerConfig.MAX_HALF_OPEN_CALLS) {
            problem.accept(CircuitBreakerConfig.K_HALF_OPEN_CALLS,
                "must be between 1 and " + CircuitBreakerConfig.MAX_HALF_OPEN_CALLS + ", was " + permittedCallsInHalfOpen);
        }
        boolean openOk = openDuration != null && !openDuration.isNegative() && !openDuration.isZero()
            && openDuration.compareTo(CircuitBreakerConfig.MAX_DURATION) <= 0;
        if (!openOk) {
            problem.accept(CircuitBreakerConfig.K_OPEN_DURATION, "must be positive and at most 365 days, was " + openDuration);
        }
        if (!(openDurationMultiplier >= 1.0 && openDurationMultiplier <= CircuitBreakerConfig.MAX_MULTIPLIER)) {
            problem.accept(CircuitBreakerConfig.K_OPEN_MULTIPLIER,
                "must be between 1.0 and " + CircuitBreakerConfig.MAX_MULTIPLIER + ", was " + openDurationMultiplier);
        }
        if (maxOpenDuration != null) {
            if (maxOpenDuration.compareTo(CircuitBreakerConfig.MAX_DURATION) > 0) {
                problem.accept(CircuitBreakerConfig.K_MAX_OPEN_DURATION, "must be at most 365 days, was " + maxOpenDuration);
            } else if (openOk && maxOpenDuration.compareTo(openDuration) < 0) {
                problem.accept(CircuitBreakerConfig.K_MAX_OPEN_DURATION,
                    "must be at least openDuration (" + openDuration + "), was " + maxOpenDuration);
            }
        }
    }
}
