package io.resiliencekit.config;

import io.resiliencekit.config.internal.Text;
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
 * every problem instead of stopping at the first. Config classes read their options through an
 * {@link OptionSchema}, which uses this class; it is public for ad-hoc options of your own.
 *
 * <pre>{@code
 * Options o = Options.of(Map.of("retry.maxAttempts", "5", "retry.baseDelay", "200ms"));
 * int attempts = o.intValue("retry.maxAttempts", 3, 1, 100);
 * Duration base = o.duration("retry.baseDelay", Duration.ofMillis(100));
 * o.rejectUnknown("retry.");   // options under retry. that nothing read are problems too
 * o.throwIfInvalid();          // one ConfigException naming every problem
 * }</pre>
 *
 * <p>Keys are case-insensitive, because Spark hands DataSource options over lower-cased
 * ({@code CaseInsensitiveStringMap}): {@code ratelimit.rate} is {@code rateLimit.rate}. When two
 * keys differ only in case, the exactly spelt one is read and the other is reported. A null key is
 * a problem; a null or blank value means "not set".
 *
 * <p>Durations accept {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d}, {@code 10us},
 * {@code 100ns} and ISO-8601 ({@code PT2S}). Values of secret options never appear in problems,
 * and long values are cut.
 */
public final class Options {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");

    private final Map<String, String> values = new TreeMap<>();
    private final Map<String, List<String>> byLowerKey = new TreeMap<>();
    private final Set<String> read = new LinkedHashSet<>();
    private final Set<String> known = new LinkedHashSet<>();
    private final List<String> problems = new ArrayList<>();

    private Options(Map<String, String> given) {
        for (Map.Entry<String, String> e : given.entrySet()) {
            if (e.getKey() == null) {
                addProblem("(null key): an option name is null (remove that entry)");
                continue;
            }
            values.put(e.getKey(), e.getValue());
            byLowerKey.computeIfAbsent(lower(e.getKey()), k -> new ArrayList<>()).add(e.getKey());
        }
    }

    public static Options of(Map<String, String> values) {
        return new Options(values == null ? Map.of() : values);
    }

    /** The raw map, sorted, unmodifiable. Do not log it: use {@link Secrets#masked(Map)}. */
    public Map<String, String> asMap() {
        return Collections.unmodifiableMap(values);
    }

    /** True if any option (case-insensitively) starts with {@code prefix}, other than those listed in {@code except}. */
    public boolean hasAnyUnder(String prefix, String... except) {
        String p = lower(prefix);
        Set<String> skip = new LinkedHashSet<>();
        for (String e : except) {
            skip.add(lower(e));
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            String k = lower(e.getKey());
            if (k.startsWith(p) && !skip.contains(k) && !isBlank(e.getValue())) {
                return true;
            }
        }
        return false;
    }

    public boolean has(String key) {
        return raw(key) != null;
    }

    public Optional<String> string(String key) {
        return Optional.ofNullable(raw(key));
    }

    public String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    /** A required value; records a problem and returns {@code null} when it is missing. */
    public String required(String key) {
        String v = raw(key);
        if (v == null) {
            problem(key, "is required");
        }
        return v;
    }

    /** A value that must match {@code pattern} in full, described to the user as {@code what}. */
    public String matching(String key, String defaultValue, Pattern pattern, String what) {
        return typed(key, OptionType.matching(pattern, what), defaultValue);
    }

    public int intValue(String key, int defaultValue, int min, int max) {
        return typed(key, OptionType.integer(min, max), defaultValue);
    }

    public long longValue(String key, long defaultValue, long min, long max) {
        return typed(key, OptionType.longInteger(min, max), defaultValue);
    }

    public double doubleValue(String key, double defaultValue, double min, double max) {
        return typed(key, OptionType.decimal(min, max), defaultValue);
    }

    public boolean booleanValue(String key, boolean defaultValue) {
        return typed(key, OptionType.bool(), defaultValue);
    }

    /** A duration between {@code min} and {@code max} inclusive. */
    public Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        return typed(key, OptionType.duration(min, max), defaultValue);
    }

    public Duration duration(String key, Duration defaultValue) {
        return duration(key, defaultValue, Duration.ZERO, Duration.ofDays(365));
    }

    public <E extends Enum<E>> E enumValue(String key, E defaultValue, Class<E> type) {
        return typed(key, OptionType.enumeration(type), defaultValue);
    }

    // Ad-hoc reads guess secrecy from the name; schema options say it explicitly.
    private <T> T typed(String key, OptionType<T> type, T defaultValue) {
        String raw = raw(key);
        if (raw == null) {
            return defaultValue;
        }
        try {
            return type.parse(raw);
        } catch (OptionType.InvalidValue e) {
            problem(key, e.describe(Secrets.isSecret(key) ? Secrets.MASK : Text.quote(type.shown(raw))));
            return defaultValue;
        }
    }

    /** Records a problem about {@code key}. Never put a secret value in {@code message}. */
    public void problem(String key, String message) {
        addProblem(Text.key(key) + ": " + message);
    }

    // Sections may be checked by their own parser and again by the composed one: report each once.
    private void addProblem(String p) {
        if (!problems.contains(p)) {
            problems.add(p);
        }
    }

    /**
     * The trimmed value of {@code key}, or null if it is not set (absent, null or blank). Matches
     * case-insensitively; marks the key it used as read and {@code key} as known (for "did you mean").
     */
    String raw(String key) {
        known.add(key);
        String actual = resolve(key);
        if (actual == null) {
            return null;
        }
        read.add(actual);
        String v = values.get(actual);
        return isBlank(v) ? null : v.strip();   // strip, not trim: trim would also drop NUL and other controls
    }

    /** Declares a key this reader's caller understands, so that suggestions can point to it. */
    void declare(String key) {
        known.add(key);
    }

    /** The keys actually given, in order. */
    Set<String> keys() {
        return values.keySet();
    }

    /** Marks a given key as read (a key family matched it). */
    void markRead(String actualKey) {
        read.add(actualKey);
    }

    /** The trimmed value of a key exactly as given, or null if it is not set; marks nothing. */
    String valueOf(String actualKey) {
        String v = values.get(actualKey);
        return isBlank(v) ? null : v.strip();   // strip, not trim: trim would also drop NUL and other controls
    }

    private String resolve(String key) {
        if (values.containsKey(key)) {
            return key;
        }
        List<String> candidates = byLowerKey.get(lower(key));
        if (candidates == null) {
            return null;
        }
        if (candidates.size() > 1) {
            read.addAll(candidates);
            addProblem(Text.key(key) + ": is given more than once, as " + Text.key(String.join(" and ", candidates))
                + " (option names are case-insensitive)");
            return null;
        }
        return candidates.get(0);
    }

    /** Marks as problems all options starting (case-insensitively) with {@code prefix} that nothing has read. */
    public void rejectUnknown(String prefix) {
        String p = lower(prefix == null ? "" : prefix);
        for (String key : values.keySet()) {
            if (lower(key).startsWith(p) && !read.contains(key)) {
                String hint = closest(key);
                addProblem(Text.key(key) + ": unknown option" + (hint == null ? "" : " (did you mean " + hint + "?)"));
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
        if (t.length() > 40) {
            return null;   // no duration is this long; and a 100 KB value would make the pattern backtrack for long
        }
        if (t.startsWith("p")) {
            try {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException | ArithmeticException e) {
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
        if (!(nanos <= Long.MAX_VALUE)) {
            return null;
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    /** The closest known key: a small edit away, or the only one with the same last segment. */
    private String closest(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            if (Math.abs(unknown.length() - k.length()) > 3) {
                continue;   // too far anyway, and a 100 KB key must not cost a 100 KB-square distance
            }
            int d = Text.distance(unknown, k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        if (bestDistance <= 3) {
            return best;
        }
        String last = lastSegment(unknown);
        String only = null;
        for (String k : known) {
            if (lastSegment(k).equals(last)) {
                if (only != null) {
                    return null;
                }
                only = k;
            }
        }
        return only;
    }

    private static String lastSegment(String key) {
        return lower(key.substring(key.lastIndexOf('.') + 1));
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static boolean isBlank(String v) {
        return v == null || v.isBlank();
    }
}
