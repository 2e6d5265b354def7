package io.resiliencekit.idempotency;

import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.time.Ticker;
import java.io.Serializable;

/**
 * Serializable recipe for an {@link IdempotencyGuard}, carried by a policy's configuration and
 * resolved in the JVM where the policy runs. {@link IdempotencyConfig} is the built-in one.
 */
@FunctionalInterface
public interface IdempotencyGuardFactory extends Serializable {
    IdempotencyGuard create(Ticker ticker);

    /**
     * Like {@link #create(Ticker)}, publishing {@link io.resiliencekit.event.EventType#DUPLICATE_SKIPPED}
     * events to {@code events} (the composed policy passes its own publisher).
     */
    default IdempotencyGuard create(Ticker ticker, EventPublisher events) {
        return create(ticker);
    }
}
