package io.resiliencekit.spark.partition;

import java.io.Serializable;
import java.util.List;

/**
 * An action on a batch of up to {@code batchSize} records of one partition, made as one policy
 * call (one idempotency key per batch). Returns the outputs to emit; may return an empty list.
 *
 * <pre>{@code
 * BatchFunction<Connection, Order, Order> insert = (conn, orders) -> { dao.insertAll(conn, orders); return orders; };
 * }</pre>
 */
@FunctionalInterface
public interface BatchFunction<C, T, R> extends Serializable {
    List<R> apply(C resource, List<T> batch) throws Exception;
}
