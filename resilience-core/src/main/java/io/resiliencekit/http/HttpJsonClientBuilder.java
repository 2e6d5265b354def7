package io.resiliencekit.http;

import io.resiliencekit.config.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds an {@link HttpJsonClientConfig} or an {@link HttpJsonClient}. Timeouts default to
 * {@link HttpJsonClientConfig#DEFAULT_CONNECT_TIMEOUT 5 s} and
 * {@link HttpJsonClientConfig#DEFAULT_REQUEST_TIMEOUT 30 s}; they can be changed, never removed.
 *
 * <pre>{@code
 * HttpJsonClient client = HttpJsonClient.builder()
 *     .baseUri("https://api.example.com/v1")
 *     .requestTimeout(Duration.ofSeconds(10))
 *     .header("Authorization", "Bearer " + token)
 *     .build();
 * }</pre>
 *
 * <p>{@link #build()} reports every problem at once in one {@link ConfigException}.
 */
public final class HttpJsonClientBuilder {

    private String baseUri;
    private Duration connectTimeout = HttpJsonClientConfig.DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = HttpJsonClientConfig.DEFAULT_REQUEST_TIMEOUT;
    private final Map<String, String> headers = new LinkedHashMap<>();

    HttpJsonClientBuilder() {
    }

    /** The API root; request paths are appended to it. Required. */
    public HttpJsonClientBuilder baseUri(String baseUri) {
        this.baseUri = baseUri;
        return this;
    }

    public HttpJsonClientBuilder baseUri(URI baseUri) {
        this.baseUri = baseUri == null ? null : baseUri.toString();
        return this;
    }

    /** Time to establish a connection (default 5 s). */
    public HttpJsonClientBuilder connectTimeout(Duration timeout) {
        this.connectTimeout = timeout;
        return this;
    }

    /** Time from sending a request until the response headers arrive (default 30 s). */
    public HttpJsonClientBuilder requestTimeout(Duration timeout) {
        this.requestTimeout = timeout;
        return this;
    }

    /** A header sent with every request; replaces an earlier value. {@code Content-Type} defaults to {@code application/json}. */
    public HttpJsonClientBuilder header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public HttpJsonClientBuilder headers(Map<String, String> headers) {
        this.headers.putAll(Objects.requireNonNull(headers, "headers"));
        return this;
    }

    /** Validates everything and returns the serializable config. */
    public HttpJsonClientConfig buildConfig() {
        List<String> problems = new ArrayList<>();
        URI uri = null;
        if (baseUri == null || baseUri.isBlank()) {
            problems.add("baseUri: is required");
        } else {
            List<String> p = new ArrayList<>();
            uri = HttpJsonClientConfig.parseBaseUri(baseUri, p);
            p.forEach(x -> problems.add("baseUri: " + x));
        }
        checkTimeout("connectTimeout", connectTimeout, HttpJsonClientConfig.MAX_CONNECT_TIMEOUT, problems);
        checkTimeout("requestTimeout", requestTimeout, HttpJsonClientConfig.MAX_REQUEST_TIMEOUT, problems);
        HttpJsonClientConfig.validateHeaders(headers, (name, problem) -> problems.add("headers: " + problem));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new HttpJsonClientConfig(uri, connectTimeout, requestTimeout, headers);
    }

    /** Validates and builds a client on this JVM's shared {@link java.net.http.HttpClient}. */
    public HttpJsonClient build() {
        return HttpJsonClient.create(buildConfig());
    }

    private static void checkTimeout(String name, Duration d, Duration max, List<String> problems) {
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
            problems.add(name + ": must be positive and at most " + max + ", was " + d);
        }
    }
}
