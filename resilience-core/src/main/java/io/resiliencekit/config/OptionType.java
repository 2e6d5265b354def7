package io.resiliencekit.config;

import io.resiliencekit.config.internal.Text;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * How one option's string value is parsed, checked, written back and shown: the type and range
 * columns of {@code docs/options.md}. Used in {@link OptionSchema} declarations.
 *
 * <pre>{@code
 * OptionType<Integer> attempts = OptionType.integer(1, 1000);
 * OptionType<Duration> delay = OptionType.duration(Duration.ofNanos(1), Duration.ofHours(1));
 * OptionType<Jitter> jitter = OptionType.enumeration(Jitter.class);   // a new constant is a new accepted value
 * }</pre>
 *
 * @param <T> the parsed value
 */
public final class OptionType<T> {

    private static final Pattern JDBC_URL = Pattern.compile("jdbc:[a-zA-Z0-9]+:[^\\s]+");

    /** Turns a trimmed, non-blank text into a value, or says why it cannot. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String text) throws InvalidValue;
    }

    /** Why a value was refused; the message names the rule, never the value itself. */
    public static final class InvalidValue extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean appendValue;

        /** A refusal whose message gets {@code ", was '<value as shown>'"} appended. */
        public InvalidValue(String rule) {
            this(rule, true);
        }

        /** A refusal; {@code appendValue=false} for a message that already says what was given (never a raw secret). */
        public InvalidValue(String rule, boolean appendValue) {
            super(rule, null, false, false);
            this.appendValue = appendValue;
        }

        String describe(String shownValue) {
            return appendValue ? getMessage() + ", was " + shownValue : getMessage();
        }
    }

    private final String name;
    private final String range;
    private final Parser<T> parser;
    private final Function<? super T, String> formatter;
    private final UnaryOperator<String> shown;

    private OptionType(String name, String range, Parser<T> parser, Function<? super T, String> formatter,
                       UnaryOperator<String> shown) {
        this.name = name;
        this.range = range;
        this.parser = parser;
        this.formatter = formatter;
        this.shown = shown;
    }

    /** A type of your own, e.g. a path that must name a known file system. */
    public static <T> OptionType<T> custom(String name, String range, Parser<T> parser, Function<? super T, String> formatter) {
        return new OptionType<>(name, range, parser, formatter, UnaryOperator.identity());
    }

    /** The same type, shown through {@code shown} in messages and {@code toString} (e.g. {@link Secrets#redactUrl}). */
    public OptionType<T> shownAs(UnaryOperator<String> shown) {
        return new OptionType<>(name, range, parser, formatter, Objects.requireNonNull(shown));
    }

    public static OptionType<Integer> integer(int min, int max) {
        OptionType<Long> l = longInteger(min, max);
        return new OptionType<>("integer", l.range, t -> l.parse(t).intValue(), i -> Integer.toString(i), UnaryOperator.identity());
    }

    public static OptionType<Long> longInteger(long min, long max) {
        String range = min == Long.MIN_VALUE && max == Long.MAX_VALUE ? "any 64-bit integer"
            : max == Long.MAX_VALUE ? "at least " + min : min + ".." + max;
        return new OptionType<>("integer", range, t -> {
            long v;
            try {
                v = Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new InvalidValue("must be a whole number");
            }
            if (v < min || v > max) {
                throw new InvalidValue("must be between " + min + " and " + max);
            }
            return v;
        }, l -> Long.toString(l), UnaryOperator.identity());
    }

    /** A number in {@code [min, max]}. */
    public static OptionType<Double> decimal(double min, double max) {
        return new OptionType<>("number", Text.number(min) + ".." + Text.number(max), t -> {
            double v = parseDouble(t);
            if (!(v >= min && v <= max)) {
                throw new InvalidValue("must be between " + Text.number(min) + " and " + Text.number(max));
            }
            return v;
        }, d -> Double.toString(d), UnaryOperator.identity());
    }

    /** A number in {@code (exclusiveMin, max]}, such as a rate that must be above zero. */
    public static OptionType<Double> decimalAbove(double exclusiveMin, double max) {
        String interval = "(" + Text.number(exclusiveMin) + ", " + Text.number(max) + "]";
        return new OptionType<>("number", interval, t -> {
            double v = parseDouble(t);
            if (!(v > exclusiveMin && v <= max)) {
                throw new InvalidValue("must be in " + interval + ", was " + v, false);
            }
            return v;
        }, d -> Double.toString(d), UnaryOperator.identity());
    }

    /** The value of the word {@code auto} in {@link #numberOrAuto} (no finite number can mean it). */
    public static final double AUTO = Double.POSITIVE_INFINITY;

    /** {@code number}, or the word {@code auto} (any case), read as {@link #AUTO}: e.g. {@code rate=auto}. */
    public static OptionType<Double> numberOrAuto(OptionType<Double> number) {
        return new OptionType<>(number.name + " or auto", number.range + " or auto",
            t -> t.equalsIgnoreCase("auto") ? AUTO : number.parse(t), d -> d == AUTO ? "auto" : number.format(d),
            UnaryOperator.identity());
    }

    private static double parseDouble(String t) throws InvalidValue {
        try {
            double v = Double.parseDouble(t);
            if (Double.isNaN(v) || t.endsWith("d") || t.endsWith("D") || t.endsWith("f") || t.endsWith("F")) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidValue("must be a number");
        }
    }

    public static OptionType<Boolean> bool() {
        return new OptionType<>("boolean", "true, false", t -> {
            switch (t.toLowerCase(Locale.ROOT)) {
                case "true":
                    return true;
                case "false":
                    return false;
                default:
                    throw new InvalidValue("must be true or false");
            }
        }, b -> Boolean.toString(b), UnaryOperator.identity());
    }

    /** A duration ({@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d}, {@code PT2S}) in {@code [min, max]}. */
    public static OptionType<Duration> duration(Duration min, Duration max) {
        String range = Text.duration(min) + ".." + Text.duration(max);
        return new OptionType<>("duration", range, t -> {
            Duration d = Options.parseDuration(t);
            if (d == null) {
                throw new InvalidValue("must be a duration such as 250ms, 2s, 5m or PT2S");
            }
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new InvalidValue("must be between " + Text.duration(min) + " and " + Text.duration(max));
            }
            return d;
        }, Text::duration, UnaryOperator.identity());
    }

    /**
     * One of the constants of {@code type}, written in lower case ({@code -} or {@code _} between
     * words), except {@code codeOnly} ones that only a builder can set. Adding a constant to the
     * enum adds an accepted value.
     */
    @SafeVarargs
    public static <E extends Enum<E>> OptionType<E> enumeration(Class<E> type, E... codeOnly) {
        List<E> accepted = new ArrayList<>(Arrays.asList(type.getEnumConstants()));
        accepted.removeAll(Arrays.asList(codeOnly));
        List<String> names = new ArrayList<>();
        for (E e : accepted) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        return new OptionType<>("enum", String.join(", ", names), t -> {
            String norm = t.replace('-', '_').toUpperCase(Locale.ROOT);
            for (E e : accepted) {
                if (e.name().equals(norm)) {
                    return e;
                }
            }
            throw new InvalidValue("must be one of " + names);
        }, e -> e.name().toLowerCase(Locale.ROOT), UnaryOperator.identity());
    }

    /** A string that matches {@code pattern} in full, described to users as {@code what}. */
    public static OptionType<String> matching(Pattern pattern, String what) {
        return new OptionType<>("string", what, t -> {
            if (!pattern.matcher(t).matches()) {
                throw new InvalidValue("must be " + what);
            }
            return t;
        }, s -> s, UnaryOperator.identity());
    }

    /** Any text without control characters. */
    public static OptionType<String> text() {
        return new OptionType<>("string", "any text", t -> {
            if (Text.hasControls(t.replace('\t', ' '))) {
                throw new InvalidValue("must not contain control characters");
            }
            return t;
        }, s -> s, UnaryOperator.identity());
    }

    /** A JDBC URL ({@code jdbc:<subprotocol>:...}); shown with its user info and parameter values masked. */
    public static OptionType<String> jdbcUrl() {
        return new OptionType<>("JDBC URL", "jdbc:<driver>:...", t -> {
            if (!JDBC_URL.matcher(t).matches() || Text.hasControls(t)) {
                throw new InvalidValue("must be a JDBC URL such as jdbc:postgresql://host/db or jdbc:h2:file:/path");
            }
            return t;
        }, s -> s, Secrets::redactUrl);
    }

    /**
     * An absolute {@code http} or {@code https} URI with a host and no query or fragment (the API
     * root); shown with its user info masked.
     */
    public static OptionType<URI> httpBaseUri() {
        return new OptionType<>("URI", "http(s)://host[:port][/path]", t -> {
            URI uri;
            try {
                uri = new URI(t);
            } catch (URISyntaxException e) {
                throw new InvalidValue("must be an absolute http(s) URI such as https://api.example.com/v1");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new InvalidValue("must be an absolute http(s) URI with a host, such as https://api.example.com/v1");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new InvalidValue("must not have a query or fragment (put them in the request path)");
            }
            return uri;
        }, URI::toString, Secrets::redactUrl);
    }

    /** A comma-separated list of {@link Throwable} class names, each loadable here. */
    public static OptionType<List<String>> throwableClassNames() {
        return new OptionType<>("class names", "comma-separated Throwable classes", t -> {
            List<String> names = new ArrayList<>();
            List<String> bad = new ArrayList<>();
            for (String part : t.split(",")) {
                String n = part.trim();
                if (n.isEmpty()) {
                    continue;
                }
                try {
                    Class<?> c = Class.forName(n, false, Thread.currentThread().getContextClassLoader());
                    if (Throwable.class.isAssignableFrom(c)) {
                        names.add(n);
                    } else {
                        bad.add(Text.quote(n) + " is not a Throwable");
                    }
                } catch (ClassNotFoundException | LinkageError e) {
                    bad.add("class " + Text.quote(n) + " not found");
                }
            }
            if (!bad.isEmpty()) {
                throw new InvalidValue(String.join("; ", bad), false);
            }
            return List.copyOf(names);
        }, l -> String.join(",", l), UnaryOperator.identity());
    }

    /** Parses a trimmed, non-blank text. */
    public T parse(String text) throws InvalidValue {
        return parser.parse(text);
    }

    /** The option string that parses back into {@code value}. */
    public String format(T value) {
        return formatter.apply(value);
    }

    /** How a (non-secret) raw value of this type may be shown in messages and {@code toString}. */
    public String shown(String raw) {
        return shown.apply(raw);
    }

    /** The type column of the docs. */
    public String name() {
        return name;
    }

    /** The range column of the docs. */
    public String range() {
        return range;
    }
}
