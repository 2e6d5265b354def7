package io.resiliencekit.http;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.config.Secrets;
import io.resiliencekit.config.internal.Text;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
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

    private static final OptionSchema.Declarer<HttpJsonClientConfig> D = OptionSchema.declarer(HttpJsonClientConfig.class);
    static final OptionSchema.Option<HttpJsonClientConfig, URI> BASE_URI = D.option("baseUri",
        OptionType.httpBaseUri(), null, HttpJsonClientConfig::baseUri,
        "The API root; request paths are appended to it. Shown with its user info masked.").required("");
    static final OptionSchema.Option<HttpJsonClientConfig, Duration> CONNECT_TIMEOUT = D.option("connectTimeout",
        OptionType.duration(Duration.ofMillis(1), MAX_CONNECT_TIMEOUT), DEFAULT_CONNECT_TIMEOUT,
        HttpJsonClientConfig::connectTimeout, "Time to establish a TCP connection (always set).");
    static final OptionSchema.Option<HttpJsonClientConfig, Duration> REQUEST_TIMEOUT = D.option("requestTimeout",
        OptionType.duration(Duration.ofMillis(1), MAX_REQUEST_TIMEOUT), DEFAULT_REQUEST_TIMEOUT,
        HttpJsonClientConfig::requestTimeout, "Time from sending a request to receiving the response headers (always set).");
    // Checked in build with the builder's rules, so both report the same messages.
    static final OptionSchema.Family<HttpJsonClientConfig, String> HEADER = D.family("header.<name>",
        Pattern.compile(".+"), OptionType.custom("string", "no line breaks", t -> t, v -> v), HttpJsonClientConfig::headers,
        "A header sent with every request (not Host, Content-Length, Connection, Expect, Upgrade or Idempotency-Key).")
        .secretWhen(Secrets::isSecret, "when named like a secret");

    static final OptionSchema<HttpJsonClientConfig> SCHEMA = OptionSchema.<HttpJsonClientConfig>builder("HTTP client")
        .description("`HttpJsonClientConfig.fromOptions(options, prefix)`, e.g. with prefix `http.`: the JDK "
            + "`HttpClient` with timeouts always set and fixed headers; non-2xx answers become `HttpStatusException`.")
        .addAll(D)
        .build(HttpJsonClientConfig::fromValues);

    private static HttpJsonClientConfig fromValues(OptionSchema.Values v) {
        Map<String, String> headers = v.family(HEADER);
        validateHeaders(headers, (name, problem) -> v.problem(v.prefix() + "header." + name, problem));
        URI uri = v.get(BASE_URI);
        return uri == null ? null : new HttpJsonClientConfig(uri, v.get(CONNECT_TIMEOUT), v.get(REQUEST_TIMEOUT), headers);
    }

    /** The options of an HTTP client section: keys, types, ranges, defaults and docs. */
    public static OptionSchema<HttpJsonClientConfig> optionSchema() {
        return SCHEMA;
    }

    /**
     * Parses {@code <prefix>baseUri} (required), {@code <prefix>connectTimeout},
     * {@code <prefix>requestTimeout} and {@code <prefix>header.<Name>}; unknown keys under the prefix
     * are problems. Throws one {@link ConfigException} listing every problem.
     */
    public static HttpJsonClientConfig fromOptions(Map<String, String> options, String prefix) {
        return SCHEMA.parse(options, Objects.requireNonNull(prefix, "prefix"));
    }

    /**
     * Reads the options into {@code o}, recording problems there instead of throwing, so a caller
     * (a Spark sink) can report them together with its own. Returns null if there were problems.
     */
    public static HttpJsonClientConfig fromOptions(Options o, String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        int before = o.problems().size();
        HttpJsonClientConfig c = SCHEMA.read(o, prefix, false);
        return o.problems().size() > before ? null : c;
    }

    /** The options that {@link #fromOptions(Map, String)} turns back into this config. Holds secrets: do not log. */
    public Map<String, String> toOptions(String prefix) {
        return SCHEMA.toOptions(this, prefix);
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

    /** The builder's check of a base URI: the option type's rules and messages. */
    static URI parseBaseUri(String text, List<String> problems) {
        try {
            return BASE_URI.type().parse(text.trim());
        } catch (OptionType.InvalidValue e) {
            problems.add(e.getMessage() + ", was " + Text.quote(Secrets.redactUrl(text)));
            return null;
        }
    }

    static void validateHeaders(Map<String, String> headers, BiConsumer<String, String> problems) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String name = e.getKey();
            if (name == null || !TOKEN.matcher(name).matches()) {
                problems.accept(name, "header name " + Text.quote(name) + " is not a valid HTTP token");
                continue;
            }
            if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                problems.accept(name, "header '" + name + "' cannot be set as a fixed header (the client or each call sets it)");
            }
            String v = e.getValue();
            if (v == null || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                problems.accept(name, "header '" + name + "' must have a value without line breaks");
            }
        }
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

    /** Safe to log: user info masked, values of secret-named headers masked. */
    @Override
    public String toString() {
        return "HttpJsonClientConfig" + SCHEMA.describe(this);
    }
}
