package io.resiliencekit.classify;

import java.util.Map;

/**
 * An HTTP response that is not a success, thrown by an HTTP client wrapper so the
 * {@link FailureClassifier} can decide what to do with it. Carries the raw {@code Retry-After}
 * header and the rate-limit headers ({@link RateLimitHeaders}), which the classifier turns into a
 * delay hint.
 *
 * <pre>{@code
 * HttpResponse<String> r = client.send(request, BodyHandlers.ofString());
 * if (r.statusCode() >= 400) {
 *     throw new HttpStatusException(r.statusCode(), r.headers().firstValue("Retry-After").orElse(null), "POST /orders");
 * }
 * }</pre>
 *
 * <p>The message holds the status and the request description only, never headers or bodies, which
 * may hold credentials.
 */
public class HttpStatusException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String retryAfter;
    private final Map<String, String> rateLimitHeaders;

    public HttpStatusException(int status, String retryAfter, String request) {
        this(status, retryAfter, Map.of(), request);
    }

    /** @param rateLimitHeaders the response's rate-limit headers ({@link RateLimitHeaders#NAMES}), may be empty */
    public HttpStatusException(int status, String retryAfter, Map<String, String> rateLimitHeaders, String request) {
        super("HTTP " + status + (request == null ? "" : " from " + request)
            + (retryAfter == null ? "" : " (Retry-After: " + retryAfter + ")"));
        this.status = status;
        this.retryAfter = retryAfter;
        this.rateLimitHeaders = rateLimitHeaders == null ? Map.of() : Map.copyOf(rateLimitHeaders);
    }

    public int status() {
        return status;
    }

    /** The raw {@code Retry-After} header value, or {@code null}. */
    public String retryAfter() {
        return retryAfter;
    }

    /** The response's rate-limit headers by name ({@code RateLimit}, {@code X-RateLimit-Reset}...); empty if none. */
    public Map<String, String> rateLimitHeaders() {
        return rateLimitHeaders;
    }
}
