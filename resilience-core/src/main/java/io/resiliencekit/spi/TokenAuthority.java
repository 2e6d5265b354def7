package io.resiliencekit.spi;

/**
 * Owns one or more global token buckets (rate R, burst B) and hands out leases of tokens to the
 * clients that share them. Implemented in-process ({@code InProcessTokenAuthority}), over JDBC
 * ({@code JdbcTokenAuthority}) and, in resilience-spark, on the Spark driver.
 *
 * <p>Contract every implementation keeps, because the global guarantee rests on it: tokens are
 * debited from the global bucket when they are granted; the bucket's level plus every client's
 * unexpired outstanding tokens never exceeds the burst B; a client's outstanding tokens are
 * released only when that client reports them spent (in its next request) or when its lease has
 * expired. {@code InProcessTokenAuthority} implements all of this; a remote authority (Spark
 * driver) should host one and forward requests to it rather than re-implement the arithmetic:
 *
 * <pre>{@code
 * // driver side
 * InProcessTokenAuthority authority = new InProcessTokenAuthority(Ticker.system());
 * LeaseResponse onMessage(LeaseRequest r) { return authority.requestLease(r); }
 * // executor side
 * TokenAuthority remote = r -> (LeaseResponse) pluginContext.ask(r);
 * }</pre>
 *
 * <p>Implementations must be thread-safe. Calls may block (network, database); clients make them
 * from a background thread, never on the caller's hot path.
 */
@FunctionalInterface
public interface TokenAuthority extends AutoCloseable {

    /**
     * Grants the next lease to one client. Never grants more than the bucket holds.
     *
     * @throws TokenAuthorityException if the authority cannot be reached or fails; the client then
     *     falls back to its safe rate
     */
    LeaseResponse requestLease(LeaseRequest request) throws TokenAuthorityException;

    /** Releases connections and threads; the default does nothing. */
    @Override
    default void close() {
    }
}
