/**
 * The {@code resilient} data source: {@code df.write().format("resilient")} to an HTTP API, a
 * database or your own {@link io.resiliencekit.spark.sink.RecordSink}, exactly once per row, with the
 * policy's rate limit, breaker, retries and dead letters.
 */
package io.resiliencekit.spark.sink;
