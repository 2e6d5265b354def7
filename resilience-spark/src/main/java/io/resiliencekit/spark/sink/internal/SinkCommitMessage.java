package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.spark.partition.PartitionMetrics;
import org.apache.spark.sql.connector.write.WriterCommitMessage;

/** What a committed task reports to the driver: its metrics line and the JDBC ledger's skips. */
record SinkCommitMessage(int partition, PartitionMetrics metrics, long keysFoundInLedger) implements WriterCommitMessage {
}
