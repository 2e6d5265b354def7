package io.resiliencekit.spi;

import java.time.Duration;

/**
 * Remembers which idempotency keys are held, done, and with which payload fingerprint.
 * Implementations must make {@link #claim} atomic: of any number of concurrent callers, in any
 * number of JVMs sharing the store, exactly one gets {@link ClaimResult.Status#NEW}.
 *
 * <pre>{@code
 * IdempotencyStore store = InMemoryIdempotencyStore.builder().ttl(Duration.ofHours(24)).build();
 * ClaimResult r = store.claim("payments:b42:ord-1", fp, "worker-1", Duration.ofSeconds(30));
 * if (r.status() == ClaimResult.Status.NEW) {
 *     long token = r.fencingToken();
 *     try {
 *         byte[] outcome = send(token);                 // renew(key, token, hold) every hold/3 meanwhile
 *         store.complete("payments:b42:ord-1", token, outcome);
 *     } catch (Exception e) {
 *         store.release("payments:b42:ord-1", token);   // failures are not remembered
 *         throw e;
 *     }
 * }
 * }</pre>
 *
 * <p><b>Fencing.</b> Every {@code NEW} claim carries a fencing token: a number that no other claim
 * of the key in this store has had, larger than the key's earlier tokens while the store
 * remembers the key. {@link #renew}, {@link #complete} and {@link #release} take effect only with
 * the token of the key's current hold, so a holder whose hold was taken over (it was paused past
 * its hold) can neither extend nor complete over the new holder's. Pass the token to the effect's
 * target too where it can check it.
 *
 * <p><b>One clock per store.</b> Holds, TTLs and purges are measured by one clock, the store's
 * own: the database's for JDBC stores, the hosting JVM's for in-memory ones (the Spark driver's for
 * its ledger). Callers learn how long a hold lasts as {@link ClaimResult#holdRemainingMillis()},
 * so clocks of the JVMs sharing a store never meet.
 */
public interface IdempotencyStore extends AutoCloseable {

    /**
     * Atomically claims {@code key} for {@code holder} for {@code hold}.
     *
     * <ul>
     *   <li>{@code NEW}: the key was unknown, released, its completed record had outlived the TTL, or
     *       its previous holder's hold had expired (crashed or paused); the caller holds it now,
     *       under a new fencing token.</li>
     *   <li>{@code IN_PROGRESS}: someone else holds it and the hold has not expired.</li>
     *   <li>{@code COMPLETED}: done; the outcome is returned.</li>
     *   <li>{@code MISMATCH}: both fingerprints are non-null and differ.</li>
     * </ul>
     *
     * @param fingerprint payload fingerprint, may be null (then no mismatch check)
     * @param holder who claims, for diagnostics ({@code IN_PROGRESS} names it to others)
     */
    ClaimResult claim(String key, String fingerprint, String holder, Duration hold);

    /**
     * Extends the hold of {@code fencingToken} on {@code key} to {@code hold} from now. Returns false
     * if that hold is no longer the key's (taken over, completed or released): the caller must not
     * start the effect, and will not be able to complete it.
     */
    boolean renew(String key, long fencingToken, Duration hold);

    /**
     * Marks {@code key} completed with {@code outcome}, kept for the store's TTL. Returns false if
     * {@code fencingToken} no longer holds the key (its hold expired and someone else claimed it).
     */
    boolean complete(String key, long fencingToken, byte[] outcome);

    /** Forgets the claim of {@code fencingToken} so the key can be claimed again (the action failed). */
    boolean release(String key, long fencingToken);

    /** Removes completed records older than the TTL and long-expired holds; returns how many. */
    int purgeExpired();

    /** How long completed keys are remembered. */
    Duration ttl();

    @Override
    default void close() {
    }
}
