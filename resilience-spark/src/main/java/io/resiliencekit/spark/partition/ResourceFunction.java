package io.resiliencekit.spark.partition;

import java.io.Serializable;

/**
 * A per-record action that uses the partition's resource (a client, a connection).
 *
 * <pre>{@code
 * ResourceFunction<HttpJsonClient, Order, Integer> send = (client, order) -> client.post("/orders", order.json());
 * }</pre>
 */
@FunctionalInterface
public interface ResourceFunction<C, T, R> extends Serializable {
    R apply(C resource, T record) throws Exception;
}
