package io.resiliencekit.config;

import io.resiliencekit.config.internal.ScrubbedException;
import io.resiliencekit.config.internal.Text;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one scrubber behind every channel that could leak a secret: {@code toString}, logs,
 * exception messages, metrics lines and dead letters ({@link io.resiliencekit.deadletter.Redactor}
 * uses it too).
 *
 * <pre>{@code
 * Secrets.scrub("login failed: password=hunter2");            // "login failed: password=****"
 * Secrets.redactUrl("jdbc:postgresql://app:pw@db/x?ssl=true"); // "jdbc:postgresql://****@db/x?ssl=****"
 * Secrets.isSecret("sink.http.apiKey");                        // true: a name that looks secret
 * }</pre>
 *
 * <p>Configuration options do not rely on names: each option of an {@link OptionSchema} says
 * whether it is secret, and URL-valued options show through {@link #redactUrl}. Name guessing
 * ({@link #isSecret}) is for names we do not know in advance: HTTP headers, record fields, keys
 * of free-form maps.
 */
public final class Secrets {

    /** What a secret value is replaced with. Fixed length, so it leaks nothing about the value. */
    public static final String MASK = "****";

    // Compared after removing separators and lower-casing, so "api_key", "apiKey" and "API-KEY" all match.
    private static final String[] SECRET_WORDS = {
        "password", "passwd", "pwd", "secret", "token", "apikey", "authorization", "auth", "credential",
        "privatekey", "accesskey", "sessionkey", "cookie", "signature"
    };

    // "Bearer abc", "Basic dXNlcjpw", "Token abc"
    private static final Pattern AUTH_SCHEME =
        Pattern.compile("(?i)\\b(bearer|basic|digest|token|negotiate)(\\s+)([A-Za-z0-9._~+/=-]{4,})");
    // password=..., "apiKey": "...", token: ..., X-Api-Key=..., secret='two words'
    private static final Pattern KEY_VALUE = Pattern.compile(
        "(?i)([\\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|session[_-]?key"
            + "|credential|authorization|cookie|signature)[\\w.-]*)"
            + "(\"?'?\\s*[:=]\\s*)(\"[^\"]*\"|'[^']*'|[^\\s\"'&,;}]+)");
    // scheme://user:password@host
    private static final Pattern URL_USERINFO = Pattern.compile("(://[^/\\s:@]+:)([^@\\s/]+)@");
    // jdbc:oracle:thin:user/password@host
    private static final Pattern THIN_LOGIN = Pattern.compile("(?i)(:thin:[^/\\s@:]*/)([^@\\s]+)@");

    private Secrets() {
    }

    /**
     * Masks secret-looking values in free text, such as a third-party exception message:
     * {@code password=...}, {@code "apiKey": "..."}, {@code Authorization: Bearer ...},
     * {@code Token ...} and the password in {@code scheme://user:password@host}. A best effort for
     * text we do not control; values we know are secret go through {@link #scrub(String, Collection)}.
     */
    public static String scrub(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = replaceGroup(AUTH_SCHEME, text, 3);
        out = replaceGroup(KEY_VALUE, out, 3);
        out = replaceGroup(THIN_LOGIN, out, 2);
        return URL_USERINFO.matcher(out).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
    }

    /**
     * {@link #scrub(String)}, after masking every occurrence of the given secret values (a
     * configured password, a token) wherever they appear. Values shorter than 3 characters are
     * ignored: masking "a" everywhere would shred the text and reveal where it was.
     */
    public static String scrub(String text, Collection<String> knownSecrets) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (String secret : knownSecrets) {
            if (secret != null && secret.length() >= 3) {
                out = out.replace(secret, MASK);
            }
        }
        return scrub(out);
    }

    private static String replaceGroup(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        StringBuilder sb = null;
        int last = 0;
        while (m.find()) {
            String value = m.group(group);
            char q = value.charAt(0);
            boolean quoted = value.length() >= 2 && (q == '"' || q == '\'') && value.charAt(value.length() - 1) == q;
            String replacement = quoted ? q + MASK + q : MASK;
            if (value.equals(replacement) || value.equals(MASK)) {
                continue;   // already masked: scrubbing twice changes nothing
            }
            if (sb == null) {
                sb = new StringBuilder(text.length());
            }
            sb.append(text, last, m.start(group)).append(replacement);
            last = m.end(group);
        }
        return sb == null ? text : sb.append(text, last, text.length()).toString();
    }

    /**
     * A URL as it may be shown: user info masked ({@code https://****@host}), every parameter value
     * masked ({@code ?ssl=****&password=****}, {@code ;user=****}), the fragment masked; scheme,
     * host, port, path and parameter names kept. Works on malformed URLs too, and escapes control
     * characters.
     */
    public static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        String s = url;
        int scheme = s.indexOf("://");
        if (scheme >= 0) {
            int start = scheme + 3;
            int end = firstOf(s, start, "/?#;");
            int at = s.lastIndexOf('@', end - 1);
            if (at >= start) {
                s = s.substring(0, start) + MASK + s.substring(at);
            }
        }
        s = THIN_LOGIN.matcher(s).replaceAll("$1" + Matcher.quoteReplacement(MASK) + "@");
        int params = firstOf(s, scheme >= 0 ? scheme + 3 : 0, "?;#");
        if (params < s.length()) {
            StringBuilder sb = new StringBuilder(s.substring(0, params));
            int i = params;
            while (i < s.length()) {
                char c = s.charAt(i);
                sb.append(c);
                i++;
                if (c == '#') {
                    sb.append(MASK);
                    break;
                }
                int next = firstOf(s, i, "&;#");
                String part = s.substring(i, next);
                int eq = part.indexOf('=');
                sb.append(eq < 0 ? (part.isEmpty() ? "" : MASK) : part.substring(0, eq + 1) + MASK);
                i = next;
            }
            s = sb.toString();
        }
        return Text.escapeControls(scrub(s));
    }

    private static int firstOf(String s, int from, String chars) {
        int end = s.length();
        for (int k = 0; k < chars.length(); k++) {
            int i = s.indexOf(chars.charAt(k), from);
            if (i >= 0 && i < end) {
                end = i;
            }
        }
        return end;
    }

    /** {@link #scrubbed(Throwable, Collection)} with no known secret values. */
    public static Throwable scrubbed(Throwable t) {
        return scrubbed(t, List.of());
    }

    /**
     * A throwable safe to keep as a cause, log or send to the driver: {@code t} itself if no message
     * in its cause chain holds a secret, otherwise a copy of the chain with scrubbed messages and
     * the original stack traces. A copied link keeps its class name in its {@code toString} (and
     * stays an {@link SQLException} with the same SQL state if it was one).
     */
    public static Throwable scrubbed(Throwable t, Collection<String> knownSecrets) {
        return ScrubbedException.scrubChain(t, m -> scrub(m, knownSecrets));
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

    /** The value as it may be shown for that (free-form) name: masked if the name looks secret. */
    public static String display(String name, String value) {
        if (value == null) {
            return "null";
        }
        return isSecret(name) ? MASK : value;
    }

    /** A sorted copy of a free-form map with every secret-looking value masked; safe to log. */
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
