package io.resiliencekit.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads typed values from a string map of options (Spark options, properties files) and collects
 * every problem instead of stopping at the first.
 *
 * <pre>{@code
 * Options o = Options.of(Map.of("retry.maxAttempts", "5", "retry.baseDelay", "200ms"));
 * int attempts = o.intValue("retry.maxAttempts", 3, 1, 100);
 * Duration base = o.duration("retry.baseDelay", Duration.ofMillis(100));
 * o.rejectUnknown("retry.");   // options under retry. that nothing read are problems too
 * o.throwIfInvalid();          // one ConfigException naming every problem
 * }</pre>
 *
 * <p>Durations accept {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d}, {@code 10us},
 * {@code 100ns} and ISO-8601 ({@code PT2S}). Values of secret options (see {@link Secrets}) never
 * appear in problems.
 */
public final class Options {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");

    private final Map<String, String> values;
    private final Set<String> read = new LinkedHashSet<>();
    private final List<String> problems = new ArrayList<>();

    private Options(Map<String, String> values) {
        this.values = new TreeMap<>(values);
    }

    public static Options of(Map<String, String> values) {
        return new Options(values == null ? Map.of() : values);
    }

    /** The raw map, sorted, unmodifiable. Do not log it: use {@link Secrets#masked(Map)}. */
    public Map<String, String> asMap() {
        return Collections.unmodifiableMap(values);
    }

    /** True if any option starts with {@code prefix}, other than those listed in {@code except}. */
    public boolean hasAnyUnder(String prefix, String... except) {
        for (String key : values.keySet()) {
            if (key.startsWith(prefix) && !List.of(except).contains(key)) {
                return true;
            }
        }
        return false;
    }

    public boolean has(String key) {
        read.add(key);
        String v = values.get(key);
        return v != null && !v.isBlank();
    }

    public Optional<String> string(String key) {
        read.add(key);
        String v = values.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    /** A required value; records a problem and returns {@code null} when it is missing. */
    public String required(String key) {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            problem(key, "is required");
            return null;
        }
        return v.get();
    }

    /** A value that must match {@code pattern} in full, described to the user as {@code what}. */
    public String matching(String key, String defaultValue, Pattern pattern, String what) {
        String v = string(key, defaultValue);
        if (v != null && !pattern.matcher(v).matches()) {
            problem(key, "must be " + what + ", was " + quote(key, v));
            return defaultValue;
        }
        return v;
    }

    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    public long longValue(String key, long defaultValue, long min, long max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            long v = Long.parseLong(raw.get());
            if (v < min || v > max) {
                problem(key, "must be between " + min + " and " + max + ", was " + quote(key, raw.get()));
                return defaultValue;
            }
            return v;
        } catch (NumberFormatException e) {
            problem(key, "must be a whole number, was " + quote(key, raw.get()));
            return defaultValue;
        }
    }

    public double doubleValue(String key, double defaultValue, double min, double max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            double v = Double.parseDouble(raw.get());
            if (!(v >= min && v <= max)) {
                problem(key, "must be between " + min + " and " + max + ", was " + quote(key, raw.get()));
                return defaultValue;
            }
            return v;
        } catch (NumberFormatException e) {
            problem(key, "must be a number, was " + quote(key, raw.get()));
            return defaultValue;
        }
    }

    public boolean booleanValue(String key, boolean defaultValue) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                problem(key, "must be true or false, was " + quote(key, raw.get()));
                return defaultValue;
        }
    }

    /** A duration between {@code min} and {@code max} inclusive. */
    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        Duration d = parseDuration(raw.get());
        if (d == null) {
            problem(key, "must be a duration such as 250ms, 2s, 5m or PT2S, was " + quote(key, raw.get()));
            return defaultValue;
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            problem(key, "must be between " + min + " and " + max + ", was " + quote(key, raw.get()));
            return defaultValue;
        }
        return d;
    }

    public Duration duration(String key, Duration defaultValue) {
        return duration(key, defaultValue, Duration.ZERO, Duration.ofDays(365));
    }

    public <E extends Enum<E>> E enumValue(String key, E defaultValue, Class<E> type) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        String norm = raw.get().trim().replace('-', '_').toUpperCase(Locale.ROOT);
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(norm)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        problem(key, "must be one of " + names + ", was " + quote(key, raw.get()));
        return defaultValue;
    }

    /** Records a problem about {@code key}. Never put a secret value in {@code message}. */
    public void problem(String key, String message) {
        addProblem(key + ": " + message);
    }

    // Sections may be checked by their own parser and again by the composed one: report each once.
    private void addProblem(String p) {
        if (!problems.contains(p)) {
            problems.add(p);
        }
    }

    /** Marks as problems all options starting with {@code prefix} that nothing has read. */
    public void rejectUnknown(String prefix) {
        for (String key : values.keySet()) {
            if (key.startsWith(prefix) && !read.contains(key)) {
                String hint = closest(key);
                addProblem(key + ": unknown option" + (hint == null ? "" : " (did you mean " + hint + "?)"));
            }
        }
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Throws one {@link ConfigException} listing every problem found so far, if any. */
    public void throwIfInvalid() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** Parses {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code PT2S}...; returns null if it cannot. */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        var m = DURATION.matcher(t);
        if (!m.matches()) {
            return null;
        }
        double amount = Double.parseDouble(m.group(1));
        double nanosPerUnit;
        switch (m.group(2)) {
            case "ns": nanosPerUnit = 1; break;
            case "us": nanosPerUnit = 1e3; break;
            case "ms": nanosPerUnit = 1e6; break;
            case "s": nanosPerUnit = 1e9; break;
            case "m": nanosPerUnit = 60e9; break;
            case "h": nanosPerUnit = 3600e9; break;
            default: nanosPerUnit = 86400e9; break;
        }
        double nanos = amount * nanosPerUnit;
        if (nanos > Long.MAX_VALUE) {
            return null;
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    private String quote(String key, String value) {
        return Secrets.isSecret(key) ? Secrets.MASK : "'" + value + "'";
    }

    private String closest(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : read) {
            int d = distance(unknown.toLowerCase(Locale.ROOT), known.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return bestDistance <= 3 ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] tmp = prev;
            prev = cur;
            cur = tmp;
        }
        return prev[b.length()];
    }
}
