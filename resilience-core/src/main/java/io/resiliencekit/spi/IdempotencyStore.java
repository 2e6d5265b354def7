package io.resiliencekit.spi;

import java.time.Duration;

/**
 * Remembers which idempotency keys are held, done, and with which payload fingerprint.
 * Implementations must make {@link #claim} atomic: of any number of concurrent callers, in any
 * number of JVMs sharing the store, exactly one gets {@link ClaimResult.Status#NEW}.
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.builder().ttl(Duration.ofHours(24)).build();
 * ClaimResult r = store.claim("payments:b42:ord-1", fp, "worker-1", Duration.ofMinutes(2));
 * if (r.status() == ClaimResult.Status.NEW) {
 *     try {
 *         byte[] outcome = send();
 *         store.complete("payments:b42:ord-1", "worker-1", outcome);
 *     } catch (Exception e) {
 *         store.release("payments:b42:ord-1", "worker-1");   // failures are not remembered
 *         throw e;
 *     }
 * }
 * }</pre>
 *
 * <p>Times: holds and TTLs are persisted as epoch milliseconds of the store's
 * {@link io.resiliencekit.time.Ticker}, so all JVMs sharing a store must have roughly synchronized
 * clocks (skew shortens or lengthens holds by the skew).
 */
public interface IdempotencyStore extends AutoCloseable {

    /**
     * Atomically claims {@code key} for {@code holder} for {@code hold}.
     *
     * <ul>
     *   <li>{@code NEW}: the key was unknown, its completed record had outlived the TTL, or its
     *       previous holder's hold had expired (a crashed holder); the caller holds it now.</li>
     *   <li>{@code IN_PROGRESS}: someone else holds it and the hold has not expired.</li>
     *   <li>{@code COMPLETED}: done; the outcome is returned.</li>
     *   <li>{@code MISMATCH}: both fingerprints are non-null and differ.</li>
     * </ul>
     *
     * @param fingerprint payload fingerprint, may be null (then no mismatch check)
     */
    ClaimResult claim(String key, String fingerprint, String holder, Duration hold);

    /**
     * Marks {@code key} completed with {@code outcome}, kept for the store's TTL. Returns false if
     * {@code holder} no longer holds the key (its hold expired and someone else claimed it).
     */
    boolean complete(String key, String holder, byte[] outcome);

    /** Forgets {@code holder}'s claim so the key can be claimed again (the action failed). */
    boolean release(String key, String holder);

    /** Removes completed records older than the TTL and long-expired holds; returns how many. */
    int purgeExpired();

    /** How long completed keys are remembered. */
    Duration ttl();

    @Override
    default void close() {
    }
}
