package io.resiliencekit.spi;

import io.resiliencekit.event.EventPublisher;
import java.io.Serializable;

/**
 * Serializable recipe for an {@link IdempotencyGuard}, carried by a policy's configuration and
 * bound in the runtime where the policy runs. {@code IdempotencyConfig} is the built-in one.
 *
 * <pre>{@code
 * IdempotencyGuard guard = IdempotencyConfig.builder().build().create(ctx, events);
 * }</pre>
 */
@FunctionalInterface
public interface IdempotencyGuardFactory extends Serializable {

    /**
     * @param events where the guard publishes {@link io.resiliencekit.event.EventType#DUPLICATE_SKIPPED}
     *     (the composed policy passes its own publisher)
     */
    IdempotencyGuard create(BindingContext context, EventPublisher events);
}
