package io.resiliencekit.spi;

import java.io.Serializable;

/**
 * Serializable recipe for an {@link IdempotencyStore} of your own (Redis, DynamoDB...), carried by an
 * idempotency spec and bound in the runtime where the policy runs, one store per name there.
 *
 * <pre>{@code
 * IdempotencyConfig idem = IdempotencyConfig.builder()
 *     .store("orders-keys", ctx -> new RedisIdempotencyStore(redisUrl, ctx.ticker()))
 *     .build();
 * }</pre>
 */
@FunctionalInterface
public interface IdempotencyStoreFactory extends Serializable {
    IdempotencyStore create(BindingContext context);
}
