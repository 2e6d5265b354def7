package io.resiliencekit.spark.partition;

import java.io.Serializable;

/**
 * Opens the resource a partition uses (an HTTP client, a JDBC connection) once per partition. The
 * helpers always close it: at the end of the partition, when it fails, and from a task completion
 * listener when Spark kills the task.
 *
 * <pre>{@code
 * ResourceFactory<HttpJsonClient> client = info -> new HttpJsonClient(baseUri, Duration.ofSeconds(2));
 * }</pre>
 */
@FunctionalInterface
public interface ResourceFactory<C extends AutoCloseable> extends Serializable {

    C open(PartitionInfo partition) throws Exception;

    /** No resource: the per-record function ignores it. */
    static ResourceFactory<AutoCloseable> none() {
        return p -> () -> { };
    }
}
