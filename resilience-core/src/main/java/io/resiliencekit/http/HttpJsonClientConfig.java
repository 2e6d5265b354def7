package io.resiliencekit.http;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.Secrets;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Immutable, {@link Serializable} settings of an {@link HttpJsonClient}: base URI, connect and request
 * timeouts (always set) and fixed headers. It travels inside Spark closures; each JVM rebuilds its
 * client from it with {@link HttpJsonClient#create(HttpJsonClientConfig)}.
 *
 * <pre>{@code
 * HttpJsonClientConfig c = HttpJsonClientConfig.fromOptions(Map.of(
 *     "http.baseUri", "https://api.example.com/v1",
 *     "http.requestTimeout", "10s",
 *     "http.header.Authorization", "Bearer ..."), "http.");
 * c.toOptions("http.");   // back to the same map
 * c.toString();            // Authorization=****
 * }</pre>
 *
 * <p>Header values whose names look secret ({@link Secrets#isSecret(String)}: Authorization,
 * X-Api-Key, ...) and user info in the base URI never appear in {@code toString} or in errors.
 */
public final class HttpJsonClientConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Default time to establish a TCP connection. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default time from sending a request to receiving the response headers. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(10);
    static final Duration MAX_REQUEST_TIMEOUT = Duration.ofHours(1);

    // The JDK client refuses these (or sets them itself); Idempotency-Key is per call.
    private static final Set<String> RESERVED_HEADERS =
        Set.of("host", "content-length", "connection", "expect", "upgrade", "idempotency-key");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private final URI baseUri;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Map<String, String> headers;

    HttpJsonClientConfig(URI baseUri, Duration connectTimeout, Duration requestTimeout, Map<String, String> headers) {
        this.baseUri = baseUri;
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
        this.headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    public static HttpJsonClientBuilder builder() {
        return new HttpJsonClientBuilder();
    }

    /**
     * Parses {@code <prefix>baseUri} (required), {@code <prefix>connectTimeout},
     * {@code <prefix>requestTimeout} and {@code <prefix>header.<Name>}; unknown keys under the prefix
     * are problems. Throws one {@link ConfigException} listing every problem.
     */
    public static HttpJsonClientConfig fromOptions(Map<String, String> options, String prefix) {
        Options o = Options.of(options);
        HttpJsonClientConfig c = fromOptions(o, prefix);
        o.rejectUnknown(prefix);
        o.throwIfInvalid();
        return c;
    }

    /**
     * Reads the options into {@code o}, recording problems there instead of throwing, so a caller
     * (a Spark sink) can report them together with its own. Returns null if there were problems.
     */
    public static HttpJsonClientConfig fromOptions(Options o, String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        int before = o.problems().size();
        String base = o.required(prefix + "baseUri");
        Duration connect = o.duration(prefix + "connectTimeout", DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(1), MAX_CONNECT_TIMEOUT);
        Duration request = o.duration(prefix + "requestTimeout", DEFAULT_REQUEST_TIMEOUT, Duration.ofMillis(1), MAX_REQUEST_TIMEOUT);
        Map<String, String> headers = new LinkedHashMap<>();
        String headerPrefix = prefix + "header.";
        for (String key : o.asMap().keySet()) {
            if (key.startsWith(headerPrefix)) {
                o.string(key).ifPresent(v -> headers.put(key.substring(headerPrefix.length()), v));
            }
        }
        URI uri = null;
        if (base != null) {
            List<String> problems = new ArrayList<>();
            uri = parseBaseUri(base, problems);
            problems.forEach(p -> o.problem(prefix + "baseUri", p));
        }
        List<String> headerProblems = new ArrayList<>();
        validateHeaders(headers, headerProblems);
        headerProblems.forEach(p -> o.problem(headerPrefix + "*", p));
        if (o.problems().size() > before) {
            return null;
        }
        return new HttpJsonClientConfig(uri, connect, request, headers);
    }

    /** The options that {@link #fromOptions(Map, String)} turns back into this config. Holds secrets: do not log. */
    public Map<String, String> toOptions(String prefix) {
        Map<String, String> out = new TreeMap<>();
        out.put(prefix + "baseUri", baseUri.toString());
        out.put(prefix + "connectTimeout", connectTimeout.toMillis() + "ms");
        out.put(prefix + "requestTimeout", requestTimeout.toMillis() + "ms");
        headers.forEach((k, v) -> out.put(prefix + "header." + k, v));
        return out;
    }

    public URI baseUri() {
        return baseUri;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Fixed headers sent with every request, in insertion order. Holds secrets: do not log. */
    public Map<String, String> headers() {
        return headers;
    }

    static URI parseBaseUri(String text, List<String> problems) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            problems.add("must be an absolute http(s) URI such as https://api.example.com/v1, was "
                + (text.contains("@") ? "a malformed URI" : "'" + text + "'"));
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            problems.add("must be an absolute http(s) URI with a host, such as https://api.example.com/v1, was '"
                + safeUri(uri) + "'");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.add("must not have a query or fragment (put them in the request path), was '" + safeUri(uri) + "'");
        }
        return uri;
    }

    static void validateHeaders(Map<String, String> headers, List<String> problems) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String name = e.getKey();
            if (name == null || !TOKEN.matcher(name).matches()) {
                problems.add("header name '" + name + "' is not a valid HTTP token");
                continue;
            }
            if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                problems.add("header '" + name + "' cannot be set as a fixed header (the client or each call sets it)");
            }
            String v = e.getValue();
            if (v == null || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                problems.add("header '" + name + "' must have a value without line breaks");
            }
        }
    }

    /** The URI without user info (which may hold a password). */
    static String safeUri(URI uri) {
        if (uri == null) {
            return "null";
        }
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        return uri.toString().replace(uri.getRawUserInfo() + "@", Secrets.MASK + "@");
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof HttpJsonClientConfig)) {
            return false;
        }
        HttpJsonClientConfig c = (HttpJsonClientConfig) o;
        return baseUri.equals(c.baseUri) && connectTimeout.equals(c.connectTimeout)
            && requestTimeout.equals(c.requestTimeout) && headers.equals(c.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(baseUri, connectTimeout, requestTimeout, headers);
    }

    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        headers.forEach((k, v) -> shown.put(k, Secrets.display(k, v)));
        return "HttpJsonClientConfig{baseUri=" + safeUri(baseUri) + ", connectTimeout=" + connectTimeout
            + ", requestTimeout=" + requestTimeout + ", headers=" + shown + '}';
    }
}
