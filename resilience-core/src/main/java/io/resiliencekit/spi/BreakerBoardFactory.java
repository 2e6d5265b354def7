package io.resiliencekit.spi;

import java.io.Serializable;

/**
 * Serializable recipe for the {@link BreakerBoard} a breaker shares its verdicts through, carried by
 * a breaker spec when the board is not the cluster's (which a breaker of scope {@code auto} gets by
 * itself when its runtime is bound to a {@link Cluster}).
 *
 * <pre>{@code
 * CircuitBreakerConfig.builder("orders-api").board(ctx -> myRedisBoard(ctx.ticker())).build();
 * }</pre>
 */
@FunctionalInterface
public interface BreakerBoardFactory extends Serializable {
    BreakerBoard create(BindingContext context);
}
