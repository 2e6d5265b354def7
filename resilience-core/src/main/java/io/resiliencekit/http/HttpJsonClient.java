package io.resiliencekit.http;

import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.spi.BindingContext;

import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.classify.RateLimitHeaders;
import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small JSON-over-HTTP client on the JDK {@link HttpClient}, for sinks and jobs that call a REST
 * API under a {@link io.resiliencekit.policy.ResiliencePolicy}.
 *
 * <pre>{@code
 * HttpJsonClient api = HttpJsonClient.builder()
 *     .baseUri("https://api.example.com/v1")
 *     .header("Authorization", "Bearer " + token)
 *     .build();
 * String reply = policy.call(() -> api.post("/orders", json, idempotencyKey));
 * }</pre>
 *
 * <ul>
 *   <li>2xx: the response body is returned.</li>
 *   <li>Anything else (including 3xx: redirects are not followed): {@link HttpStatusException} with the
 *       status, the raw {@code Retry-After} header, the rate-limit headers ({@code RateLimit},
 *       {@code X-RateLimit-Reset}...) and {@code "POST /orders"} (path without query string); never the
 *       body or other headers, which may hold secrets.</li>
 *   <li>I/O failures propagate as they are ({@link java.net.ConnectException},
 *       {@link java.net.http.HttpTimeoutException}, resets as {@link IOException}), so the
 *       {@link io.resiliencekit.classify.FailureClassifier} sees the real cause.</li>
 * </ul>
 *
 * <p>Connect and request timeouts are always set. All clients in a JVM with the same connect timeout
 * share one {@link HttpClient} (its connection pool and selector thread). The client is
 * {@link Serializable}: only its {@link HttpJsonClientConfig} is written, and the receiving JVM
 * attaches its own shared {@link HttpClient}. Thread-safe.
 */
public final class HttpJsonClient implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The header that carries the per-call idempotency key. */
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

    private final HttpJsonClientConfig config;
    private final transient HttpClient http;
    private final transient String base;
    private final transient boolean contentTypeSet;

    private HttpJsonClient(HttpJsonClientConfig config, BindingContext runtime) {
        this.config = config;
        // One HttpClient per connect timeout per runtime: HttpClient owns a selector thread and a
        // connection pool, so one per task or per record would leak threads and defeat keep-alive.
        this.http = runtime.share("http client", config.connectTimeout().toString(), config.connectTimeout(),
            HttpJsonClient::newHttpClient);
        String b = config.baseUri().toString();
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        this.contentTypeSet = config.headers().keySet().stream().anyMatch("Content-Type"::equalsIgnoreCase);
    }

    public static HttpJsonClientBuilder builder() {
        return new HttpJsonClientBuilder();
    }

    /** A client for a validated config, on the shared runtime's {@link HttpClient} for its connect timeout. */
    public static HttpJsonClient create(HttpJsonClientConfig config) {
        return create(config, ResilienceRuntime.shared());
    }

    /** A client for a validated config, on {@code runtime}'s {@link HttpClient} for its connect timeout. */
    public static HttpJsonClient create(HttpJsonClientConfig config, BindingContext runtime) {
        return new HttpJsonClient(Objects.requireNonNull(config, "config"), Objects.requireNonNull(runtime, "runtime"));
    }

    private static HttpClient newHttpClient(Duration connectTimeout) {
        return HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade dance on plain http
            .followRedirects(HttpClient.Redirect.NEVER) // a redirected POST must not silently become a GET
            .connectTimeout(connectTimeout)
            // The client's own work (writing the request, parsing the answer) runs on the thread that
            // triggers it (the caller's or the selector's) instead of hopping to a worker pool per
            // request: at 2,000 requests a second the hops cost more CPU than the requests (the README
            // example: 72% -> 87% of R on 2 cores). Safe here: every body handler is non-blocking.
            .executor(Runnable::run)
            .build();
    }

    /** POSTs a JSON body without an idempotency key. */
    public String post(String path, String jsonBody) throws IOException, InterruptedException {
        return post(path, jsonBody, null);
    }

    /**
     * POSTs a JSON body to {@code baseUri + path}, with {@code Idempotency-Key: idempotencyKey} when
     * the key is not null.
     *
     * @return the response body of a 2xx answer
     * @throws HttpStatusException on any other status
     * @throws IOException on connection failures and timeouts, as thrown by the JDK client
     */
    public String post(String path, String jsonBody, String idempotencyKey) throws IOException, InterruptedException {
        Objects.requireNonNull(jsonBody, "jsonBody");
        HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofString(jsonBody));
        if (idempotencyKey != null) {
            b.header(IDEMPOTENCY_KEY_HEADER, idempotencyKey);
        }
        return send(b.build(), "POST", path);
    }

    /** GETs {@code baseUri + path} and returns the 2xx body; failures as for {@link #post(String, String, String)}. */
    public String get(String path) throws IOException, InterruptedException {
        return send(request(path).GET().build(), "GET", path);
    }

    /** {@code baseUri + path}; the path must be relative to the base (no scheme or host). */
    public URI uri(String path) {
        Objects.requireNonNull(path, "path");
        if (path.contains("://") || path.startsWith("//")) {
            // an absolute URI would send the configured headers (credentials) to another host
            throw new IllegalArgumentException("path must be relative to the base URI, such as /orders");
        }
        try {
            return URI.create(path.startsWith("/") ? base + path : base + "/" + path);
        } catch (IllegalArgumentException e) {
            // not e's message: it quotes the whole URI, query string (credentials) included
            throw new IllegalArgumentException("path is not a valid URI path (encode spaces and special characters)");
        }
    }

    public HttpJsonClientConfig config() {
        return config;
    }

    /** This JVM's shared JDK client used by this instance. */
    HttpClient httpClient() {
        return http;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(config.requestTimeout());
        if (!contentTypeSet) {
            b.header("Content-Type", "application/json");
        }
        b.header("Accept", "application/json");
        config.headers().forEach(b::header);
        return b;
    }

    private String send(HttpRequest request, String method, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        int status = r.statusCode();
        if (status >= 200 && status < 300) {
            return r.body();
        }
        throw new HttpStatusException(status, r.headers().firstValue("Retry-After").orElse(null),
            RateLimitHeaders.pick(r.headers()::firstValue), method + " " + describe(path));
    }

    /** The path without its query string, which may carry credentials (api_key=...). */
    private static String describe(String path) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        int f = p.indexOf('#');
        p = f < 0 ? p : p.substring(0, f);
        return p.startsWith("/") ? p : "/" + p;
    }

    // Only the config is serialized; the receiving JVM attaches its own shared HttpClient.
    private Object writeReplace() throws ObjectStreamException {
        return new SerializedForm(config);
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("use the serialized form");
    }

    private static final class SerializedForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final HttpJsonClientConfig config;

        SerializedForm(HttpJsonClientConfig config) {
            this.config = config;
        }

        private Object readResolve() throws ObjectStreamException {
            return HttpJsonClient.create(config);
        }
    }

    @Override
    public String toString() {
        return "HttpJsonClient{" + config + '}';
    }
}
