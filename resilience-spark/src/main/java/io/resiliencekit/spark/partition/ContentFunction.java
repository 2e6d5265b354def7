package io.resiliencekit.spark.partition;

import java.io.Serializable;

/**
 * Canonical bytes of a record, hashed (SHA-256) into the payload fingerprint and, without a
 * {@link KeyFunction}, into the idempotency key. Defaults cover {@code Row}, {@code String},
 * {@code byte[]}, numbers and other {@code Serializable} values.
 */
@FunctionalInterface
public interface ContentFunction<T> extends Serializable {
    byte[] bytes(T record) throws Exception;
}
