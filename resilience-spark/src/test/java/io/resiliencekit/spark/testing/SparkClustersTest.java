package io.resiliencekit.spark.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.resiliencekit.spark.ResilienceCluster;

/**
 * Proves the harness: local-cluster really runs tasks in two executor JVMs apart from the driver,
 * and test classes asking for the same conf get the same running cluster.
 */
class SparkClustersTest {

    /** The conf of most distributed tests (the plugin with its defaults): the shared local-cluster. */
    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS);

    @Test
    void aClassAskingForTheSameConfGetsTheRunningCluster() {
        SparkSession again = SparkClusters.sharedLocalCluster(Map.of("spark.plugins", ResilienceCluster.PLUGIN_CLASS));
        assertThat(again).isSameAs(SPARK.spark());
        assertThat(again.sparkContext().isStopped()).isFalse();
    }

    @Test
    void tasksRunInTwoSeparateExecutorJvms() {
        long driverPid = ProcessHandle.current().pid();
        List<Integer> input = IntStream.range(0, 8).boxed().collect(Collectors.toList());

        List<String> seen = SPARK.jsc().parallelize(input, 8).map(i -> {
            Thread.sleep(300); // long enough that both single-core executors get tasks
            return SparkEnv.get().executorId() + "@" + ProcessHandle.current().pid();
        }).collect();

        Set<String> executors = new TreeSet<>();
        Set<Long> pids = new TreeSet<>();
        for (String s : seen) {
            executors.add(s.substring(0, s.indexOf('@')));
            pids.add(Long.parseLong(s.substring(s.indexOf('@') + 1)));
        }
        assertThat(seen).hasSize(8);
        assertThat(executors).hasSize(2).doesNotContain("driver");
        assertThat(pids).hasSize(2).doesNotContain(driverPid);
    }
}
