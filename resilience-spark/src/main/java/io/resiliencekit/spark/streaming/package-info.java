/** Structured Streaming helpers: a {@code foreachBatch} that applies each micro-batch once. */
package io.resiliencekit.spark.streaming;
