package io.resiliencekit.spark.partition;

import java.io.Serializable;

/**
 * A per-record action that may throw; serializable so it travels inside a Spark closure.
 *
 * <pre>{@code
 * RecordFunction<Order, Receipt> send = order -> api.send(order);
 * }</pre>
 */
@FunctionalInterface
public interface RecordFunction<T, R> extends Serializable {
    R apply(T record) throws Exception;
}
