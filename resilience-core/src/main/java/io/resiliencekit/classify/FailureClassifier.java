package io.resiliencekit.classify;

import io.resiliencekit.FailureKind;

import io.resiliencekit.config.ConfigException;
import java.io.EOFException;
import java.io.InterruptedIOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLNonTransientException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The one place that decides whether a failure is transient, permanent or throttled.
 *
 * <p>User rules run first, in the order added; the first that has an opinion wins. Then the
 * defaults:
 * <ul>
 *   <li>{@link HttpStatusException}: 429 is throttled; 408, 425, 500, 502, 503, 504 and other 5xx
 *       are transient (a 503's {@code Retry-After} still sets the delay before the retry, within
 *       {@code retry.retryAfterCap}); 400, 401, 403, 404, 405, 409, 410, 422 and other 4xx are
 *       permanent. A 503 is not throttling by default because services answer it when they are
 *       down or restarting as often as when they shed load, and throttling pauses the JVM's rate
 *       limiter for every call; an API that means "slow down" by 503 + {@code Retry-After} says so
 *       with a rule (below);</li>
 *   <li>timeouts, connection refused or reset, unknown host, early EOF: transient;</li>
 *   <li>SQL: transient and recoverable exceptions, SQLState classes 08 (connection), 40
 *       (serialization, deadlock) and 57P0x (server shutting down) are transient; constraint
 *       violations (23), data errors (22) and syntax or access errors (42) are permanent;</li>
 *   <li>{@link IllegalArgumentException}, {@link NullPointerException}, {@link ClassCastException},
 *       {@link UnsupportedOperationException}, {@link ConfigException}, {@link InterruptedException}:
 *       permanent;</li>
 *   <li>anything else: {@link Builder#defaultKind(FailureKind) the default kind}, transient unless set.</li>
 * </ul>
 * Wrappers ({@link CompletionException}, {@link ExecutionException}, {@link UncheckedIOException})
 * are looked through.
 *
 * <pre>{@code
 * FailureClassifier classifier = FailureClassifier.builder()
 *     .permanentOn(InvalidOrderException.class)
 *     // this API sheds load with 503 + Retry-After: treat that as throttling (pause the limiter too)
 *     .rule((e, now) -> e instanceof HttpStatusException h && h.status() == 503 && h.retryAfter() != null
 *         ? Classification.throttled(RetryAfter.parse(h.retryAfter(), now).orElse(null)) : null)
 *     .failureIfResult(r -> r instanceof Response resp && resp.status() >= 500)
 *     .build();
 * }</pre>
 *
 * <p>Immutable and {@link Serializable} (rules must be serializable lambdas), so it travels inside
 * Spark closures.
 */
public final class FailureClassifier implements Serializable {

    private static final long serialVersionUID = 1L;

    /** A rule that may have an opinion on a failure; returns null when it has none. */
    @FunctionalInterface
    public interface Rule extends Serializable {
        Classification classify(Throwable failure, long nowEpochMillis);
    }

    /** A serializable predicate. */
    @FunctionalInterface
    public interface SerializablePredicate<T> extends Predicate<T>, Serializable {
    }

    private static final FailureClassifier DEFAULT = builder().build();

    private static final Set<Integer> PERMANENT_STATUS = Set.of(400, 401, 403, 404, 405, 409, 410, 422);
    private static final Set<Integer> TRANSIENT_STATUS = Set.of(408, 425, 500, 502, 503, 504);

    private final List<Rule> rules;
    private final List<SerializablePredicate<Object>> failureResults;
    private final FailureKind defaultKind;

    private FailureClassifier(Builder b) {
        this.rules = List.copyOf(b.rules);
        this.failureResults = List.copyOf(b.failureResults);
        this.defaultKind = b.defaultKind;
    }

    /** The built-in rules only. */
    public static FailureClassifier defaults() {
        return DEFAULT;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Classifies a thrown failure; {@code nowEpochMillis} resolves HTTP-date hints. */
    public Classification classify(Throwable failure, long nowEpochMillis) {
        Throwable t = unwrap(failure);
        for (int i = 0, n = rules.size(); i < n; i++) { // indexed: no iterator on the retry path
            Classification c = rules.get(i).classify(t, nowEpochMillis);
            if (c != null) {
                return c;
            }
        }
        Classification c = builtIn(t, nowEpochMillis);
        return c != null ? c : Classification.of(defaultKind, null);
    }

    /** True if a returned value must be treated as a (transient) failure. */
    public boolean isFailureResult(Object result) {
        if (failureResults.isEmpty()) {
            return false;
        }
        for (SerializablePredicate<Object> p : failureResults) {
            if (p.test(result)) {
                return true;
            }
        }
        return false;
    }

    /** True when no result predicates are configured, so results need no inspection (hot path). */
    public boolean ignoresResults() {
        return failureResults.isEmpty();
    }

    /** Classifies an HTTP status with its raw {@code Retry-After} header. */
    public static Classification classifyHttp(int status, String retryAfterHeader, long nowEpochMillis) {
        return classifyHttp(status, retryAfterHeader, Map.of(), nowEpochMillis);
    }

    /**
     * Classifies an HTTP status with its raw {@code Retry-After} header and its rate-limit headers: without
     * {@code Retry-After}, the time until the quota resets ({@link RateLimitHeaders#resetHint}) is the hint.
     */
    public static Classification classifyHttp(int status, String retryAfterHeader, Map<String, String> rateLimitHeaders,
                                              long nowEpochMillis) {
        Duration hint = RetryAfter.parse(retryAfterHeader, nowEpochMillis)
            .or(() -> RateLimitHeaders.resetHint(rateLimitHeaders, nowEpochMillis)).orElse(null);
        if (status == 429) {
            return Classification.throttled(hint);
        }
        if (TRANSIENT_STATUS.contains(status) || status >= 500) {
            return Classification.transientFailure(hint);
        }
        if (PERMANENT_STATUS.contains(status) || (status >= 400 && status < 500)) {
            return Classification.permanent();
        }
        return Classification.transientFailure(hint);
    }

    private static Classification builtIn(Throwable t, long now) {
        if (t instanceof HttpStatusException) {
            HttpStatusException h = (HttpStatusException) t;
            return classifyHttp(h.status(), h.retryAfter(), h.rateLimitHeaders(), now);
        }
        if (t instanceof PermanentFailureException) {
            return Classification.permanent();
        }
        if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException
            || t instanceof ConnectException || t instanceof SocketException
            || t instanceof UnknownHostException || t instanceof EOFException
            || t instanceof TimeoutException) {
            return Classification.transientFailure();
        }
        if (t instanceof InterruptedException || t instanceof InterruptedIOException && !(t instanceof SocketTimeoutException)
            && !(t instanceof HttpTimeoutException)) {
            return Classification.permanent();
        }
        if (t instanceof SQLException) {
            return classifySql((SQLException) t);
        }
        if (t instanceof IllegalArgumentException || t instanceof NullPointerException
            || t instanceof ClassCastException || t instanceof UnsupportedOperationException) {
            return Classification.permanent(); // ConfigException and NumberFormatException included
        }
        if (t instanceof java.io.IOException) {
            return Classification.transientFailure();
        }
        return null;
    }

    private static Classification classifySql(SQLException e) {
        if (e instanceof SQLIntegrityConstraintViolationException) {
            return Classification.permanent();
        }
        if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
            return Classification.transientFailure();
        }
        String state = e.getSQLState();
        if (state != null && state.length() >= 2) {
            String cls = state.substring(0, 2);
            if (cls.equals("08") || cls.equals("40") || state.startsWith("57P0") || cls.equals("53")) {
                return Classification.transientFailure();
            }
            if (cls.equals("22") || cls.equals("23") || cls.equals("42") || cls.equals("28")) {
                return Classification.permanent();
            }
        }
        if (e instanceof SQLNonTransientException) {
            return Classification.permanent();
        }
        return Classification.transientFailure();
    }

    static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        for (int i = 0; i < 8 && cur != null; i++) {
            if ((cur instanceof CompletionException || cur instanceof ExecutionException
                || cur instanceof UncheckedIOException) && cur.getCause() != null) {
                cur = cur.getCause();
            } else {
                break;
            }
        }
        return cur;
    }

    // Keeps the shared default a singleton across serialization, so configs that use it stay equal.
    private Object readResolve() {
        return rules.isEmpty() && failureResults.isEmpty() && defaultKind == FailureKind.TRANSIENT ? DEFAULT : this;
    }

    @Override
    public String toString() {
        return "FailureClassifier{rules=" + rules.size() + ", resultRules=" + failureResults.size()
            + ", default=" + defaultKind + '}';
    }

    /** Builds a {@link FailureClassifier}; user rules take precedence over the defaults. */
    public static final class Builder {
        private final List<Rule> rules = new ArrayList<>();
        private final List<SerializablePredicate<Object>> failureResults = new ArrayList<>();
        private FailureKind defaultKind = FailureKind.TRANSIENT;

        /** Adds a rule; return null from it to let later rules and the defaults decide. */
        public Builder rule(Rule rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /** Failures of these types (or subtypes) are never retried. */
        @SafeVarargs
        public final Builder permanentOn(Class<? extends Throwable>... types) {
            for (Class<? extends Throwable> type : types) {
                rules.add((t, now) -> type.isInstance(t) ? Classification.permanent() : null);
            }
            return this;
        }

        /** Failures of these types (or subtypes) are retried. */
        @SafeVarargs
        public final Builder transientOn(Class<? extends Throwable>... types) {
            for (Class<? extends Throwable> type : types) {
                rules.add((t, now) -> type.isInstance(t) ? Classification.transientFailure() : null);
            }
            return this;
        }

        /** Failures matching the predicate get the given kind. */
        public Builder when(SerializablePredicate<Throwable> predicate, FailureKind kind) {
            Objects.requireNonNull(predicate, "predicate");
            Objects.requireNonNull(kind, "kind");
            rules.add((t, now) -> predicate.test(t) ? Classification.of(kind, null) : null);
            return this;
        }

        /** Results matching the predicate are failures (transient), e.g. a response object with status 503. */
        @SuppressWarnings("unchecked")
        public Builder failureIfResult(SerializablePredicate<?> predicate) {
            failureResults.add((SerializablePredicate<Object>) Objects.requireNonNull(predicate, "predicate"));
            return this;
        }

        /** The kind for failures no rule recognises; {@link FailureKind#TRANSIENT} by default, as Failsafe does. */
        public Builder defaultKind(FailureKind kind) {
            this.defaultKind = Objects.requireNonNull(kind, "kind");
            return this;
        }

        public FailureClassifier build() {
            return new FailureClassifier(this);
        }

    }
}
