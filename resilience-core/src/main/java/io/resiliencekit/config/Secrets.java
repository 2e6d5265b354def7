package io.resiliencekit.config;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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

    private Secrets() {
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
