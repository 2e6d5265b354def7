package io.resiliencekit.config.internal;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;

/** Formatting shared by option parsing, messages and generated docs. Not API. */
public final class Text {

    /** Values longer than this are cut in messages: a 100 KB value helps nobody and floods logs. */
    public static final int MAX_SHOWN = 64;

    private static final long[] UNIT_NANOS = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L,
        1_000_000L, 1_000L, 1L};
    private static final String[] UNITS = {"d", "h", "m", "s", "ms", "us", "ns"};

    private Text() {
    }

    /** {@code 'value'} for a message: control characters escaped, long values cut, with their length. */
    public static String quote(String value) {
        if (value == null) {
            return "null";
        }
        String shown = escapeControls(value.length() > MAX_SHOWN ? value.substring(0, MAX_SHOWN - 16) : value);
        return value.length() > MAX_SHOWN ? "'" + shown + "...' (" + value.length() + " characters)" : "'" + shown + "'";
    }

    /** An option name as it may appear at the start of a problem: control characters escaped, cut if absurdly long. */
    public static String key(String key) {
        String k = escapeControls(key);
        return k.length() <= 200 ? k : k.substring(0, 180) + "...(" + key.length() + " characters)";
    }

    /** NUL, line breaks, escapes and other control characters as {@code \\uXXXX}, so a message stays one readable line. */
    public static String escapeControls(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (sb == null) {
                    sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                }
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** True if {@code s} holds a control character. */
    public static boolean hasControls(String s) {
        return !escapeControls(s).equals(s);
    }

    /** {@code 0.5}, {@code 1}, {@code 1000000000}, {@code 0.000001}: no exponent, no trailing zeros. */
    public static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e18) {
            return Long.toString((long) v);
        }
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }

    /** The shortest exact form in one unit: {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1d}, {@code 2500000001ns}. */
    public static String duration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.getSeconds() % 86_400 == 0 && d.getNano() == 0 ? d.getSeconds() / 86_400 + "d" : d.toString();
        }
        for (int i = 0; i < UNIT_NANOS.length; i++) {
            if (nanos % UNIT_NANOS[i] == 0) {
                return nanos / UNIT_NANOS[i] + UNITS[i];
            }
        }
        return nanos + "ns";
    }

    /** Levenshtein distance, case-insensitive. */
    public static int distance(String a, String b) {
        String x = a.toLowerCase(Locale.ROOT);
        String y = b.toLowerCase(Locale.ROOT);
        int[] prev = new int[y.length() + 1];
        int[] cur = new int[y.length() + 1];
        for (int j = 0; j <= y.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= x.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= y.length(); j++) {
                int cost = x.charAt(i - 1) == y.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] tmp = prev;
            prev = cur;
            cur = tmp;
        }
        return prev[y.length()];
    }
}
