package io.resiliencekit.spark.partition;

import java.io.Serializable;

/**
 * Extracts the business key of a record (an order id). When set, the idempotency key is
 * {@code namespace:runId:businessKey}; otherwise it is derived from the partition id and a
 * SHA-256 of the record's canonical bytes. The key appears in error messages and dead letters, so
 * it must not hold secrets.
 */
@FunctionalInterface
public interface KeyFunction<T> extends Serializable {
    String key(T record) throws Exception;
}
