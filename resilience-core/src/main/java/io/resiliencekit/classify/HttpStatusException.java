package io.resiliencekit.classify;

/**
 * An HTTP response that is not a success, thrown by an HTTP client wrapper so the
 * {@link FailureClassifier} can decide what to do with it. Carries the raw {@code Retry-After}
 * header, which the classifier turns into a delay hint.
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

    public HttpStatusException(int status, String retryAfter, String request) {
        super("HTTP " + status + (request == null ? "" : " from " + request)
            + (retryAfter == null ? "" : " (Retry-After: " + retryAfter + ")"));
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public int status() {
        return status;
    }

    /** The raw {@code Retry-After} header value, or {@code null}. */
    public String retryAfter() {
        return retryAfter;
    }
}
