package io.resiliencekit.config;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides which option names hold secrets and masks their values wherever options are shown:
 * {@code toString}, logs, exception messages and dead letters.
 *
 * <pre>{@code
 * Secrets.isSecret("sink.http.apiKey");            // true
 * Secrets.masked(Map.of("sink.password", "hunter2")); // {sink.password=****}
 * }</pre>
 */
public final class Secrets {

    /** What a secret value is replaced with. Fixed length, so it leaks nothing about the value. */
    public static final String MASK = "****";

    // Compared after removing separators and lower-casing, so "api_key", "apiKey" and "API-KEY" all match.
    private static final String[] SECRET_WORDS = {
        "password", "passwd", "pwd", "secret", "token", "apikey", "authorization", "auth", "credential",
        "privatekey", "accesskey", "sessionkey", "cookie", "signature"
    };

    // "Bearer abc", "Basic dXNlcjpw"
    private static final Pattern AUTH_SCHEME = Pattern.compile("(?i)\\b(bearer|basic|digest|token)(\\s+)([A-Za-z0-9._~+/=-]{4,})");
    // password=..., "apiKey": "...", token: ..., X-Api-Key=...
    private static final Pattern KEY_VALUE = Pattern.compile(
        "(?i)([\\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization|cookie)[\\w.-]*)"
            + "(\"?'?\\s*[:=]\\s*\"?'?)([^\\s\"'&,;}]+)");
    // scheme://user:password@host
    private static final Pattern URL_USERINFO = Pattern.compile("(://[^/\\s:@]+:)([^@\\s/]+)@");

    private Secrets() {
    }

    /**
     * Masks secret-looking values in free text, such as a third-party exception message:
     * {@code password=...}, {@code "apiKey": "..."}, {@code Authorization: Bearer ...} and the password
     * in {@code scheme://user:password@host}. A best effort for text we do not control; structured
     * values should go through {@link #display(String, String)}.
     */
    public static String scrub(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = replaceGroup(AUTH_SCHEME, text, 3);
        out = replaceGroup(KEY_VALUE, out, 3);
        return URL_USERINFO.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
    }

    private static String replaceGroup(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            if (MASK.equals(m.group(group))) {
                continue;
            }
            sb.append(text, last, m.start(group)).append(MASK);
            last = m.end(group);
        }
        return sb.append(text, last, text.length()).toString();
    }

    /** True if the option (or header, or field) name suggests a secret value. */
    public static boolean isSecret(String name) {
        if (name == null) {
            return false;
        }
        String n = normalize(name);
        for (String w : SECRET_WORDS) {
            if (n.contains(w)) {
                return true;
            }
        }
        return false;
    }

    /** The value as it may be shown for that option name. */
    public static String display(String name, String value) {
        if (value == null) {
            return "null";
        }
        return isSecret(name) ? MASK : value;
    }

    /** A sorted copy with every secret value masked; safe to log. */
    public static Map<String, String> masked(Map<String, String> options) {
        Map<String, String> out = new TreeMap<>();
        options.forEach((k, v) -> out.put(k, display(k, v)));
        return out;
    }

    private static String normalize(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                sb.append(c);
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
