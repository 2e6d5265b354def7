package io.resiliencekit.idempotency;

import io.resiliencekit.time.Ticker;
import java.io.Serializable;

/**
 * Serializable recipe for an {@link IdempotencyGuard}, carried by a policy's configuration and
 * resolved in the JVM where the policy runs.
 */
@FunctionalInterface
public interface IdempotencyGuardFactory extends Serializable {
    IdempotencyGuard create(Ticker ticker);
}
