package io.resiliencekit.testkit;

/**
 * The kinds of trouble {@link FlakyApiServer} can cause, used both to configure injected faults and
 * to read the counters ({@link FlakyApiServer#faultCount(Fault)}).
 *
 * <pre>{@code
 * FlakyApiServer server = FlakyApiServer.builder().failFirst(2, Fault.RESET).build().start();
 * // ... run the code under test ...
 * assertThat(server.faultCount(Fault.RESET)).isEqualTo(2);
 * }</pre>
 */
public enum Fault {
    /** {@code 503 Service Unavailable} (injected, random, or while {@link DownMode#SERVICE_UNAVAILABLE down}). */
    UNAVAILABLE,
    /** The connection is closed without any response; the client sees an {@code IOException}. */
    RESET,
    /**
     * The request takes effect, then the connection is closed without a response: the client sees an
     * {@code IOException} for a call that did happen, so a retry without the same
     * {@code Idempotency-Key} duplicates it (with the key, the server replays the stored answer).
     */
    ACCEPTED_THEN_RESET,
    /**
     * The response is delayed (by {@link FlakyApiServer.Builder#slowDelay} or the random-slow delay).
     * The request is processed (its effect applied) before the delay, as when a server commits and
     * the answer is lost to a client timeout: a retry without an idempotency key duplicates it.
     */
    SLOW,
    /** {@code 429 Too Many Requests} (or the chosen status) with the chosen throttle headers, from the server-side token bucket. */
    RATE_LIMITED,
    /** {@code 400 Bad Request} for a poison record. */
    POISON,
    /** {@code 401 Unauthorized}: a header set with {@link FlakyApiServer.Builder#requireHeader} was missing or wrong. */
    UNAUTHORIZED,
    /** {@code 422 Unprocessable Entity}: an {@code Idempotency-Key} reused with a different body. */
    KEY_REUSED
}
