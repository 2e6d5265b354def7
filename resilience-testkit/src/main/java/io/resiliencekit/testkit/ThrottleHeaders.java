package io.resiliencekit.testkit;

/**
 * How {@link FlakyApiServer} tells a throttled client when to come back (the families of headers
 * real APIs use), on its rate-limit answers ({@link FlakyApiServer.Builder#rateLimit}).
 */
public enum ThrottleHeaders {
    /** {@code Retry-After: <seconds>}, rounded up to whole seconds, at least 1 (the default). */
    RETRY_AFTER_SECONDS,
    /** {@code Retry-After: <HTTP date>} of the second when a token is back. */
    RETRY_AFTER_DATE,
    /**
     * The IETF fields: {@code RateLimit-Policy: "default";q=<burst>;w=<seconds to refill it>} and
     * {@code RateLimit: "default";r=<remaining>;t=<seconds until a token>}, on every answer of
     * {@code /records}; no {@code Retry-After}.
     */
    IETF,
    /**
     * {@code X-RateLimit-Limit: <per second>}, {@code X-RateLimit-Remaining: <n>} and
     * {@code X-RateLimit-Reset: <epoch seconds when a token is back>} (GitHub's form), on every
     * answer of {@code /records}; no {@code Retry-After}.
     */
    X_RATELIMIT,
    /** Nothing: a bare 429, as many APIs answer. */
    NONE
}
