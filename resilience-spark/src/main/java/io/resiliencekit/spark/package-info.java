/** Partition-aware helpers and the cluster coordination plugin for Apache Spark. */
package io.resiliencekit.spark;
