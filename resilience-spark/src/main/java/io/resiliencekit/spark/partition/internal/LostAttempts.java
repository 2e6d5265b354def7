package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.spark.partition.PartitionMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;

/**
 * On the driver: task attempts that failed, as Spark saw them, so a report can name the attempts
 * whose metrics line died with their executor JVM (a lost executor sends no accumulator update).
 *
 * <pre>{@code
 * sc.addSparkListener(lost);                     // PartitionMetricsAccumulator.register does this
 * List<PartitionMetrics> missing = lost.missingFrom(lines);
 * }</pre>
 */
public final class LostAttempts extends SparkListener {

    /** What Spark said about one failed attempt. */
    private record Failed(int stageId, int stageAttempt, int partition, int attempt, long taskId, String executorId,
                          String reason, long durationMillis) {
    }

    private final List<Failed> failed = new ArrayList<>();

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!(end.reason() instanceof TaskFailedReason)) {
            return;
        }
        TaskInfo t = end.taskInfo();
        Failed f = new Failed(end.stageId(), end.stageAttemptId(), t.index(), t.attemptNumber(), t.taskId(),
            t.executorId(), end.reason().getClass().getName(), t.duration());
        synchronized (failed) {
            failed.add(f);
        }
    }

    /**
     * A line with status {@code lost} for every failed attempt, in a stage the lines come from, whose
     * own line never arrived: its counts are unknown (zero here), its error is Spark's reason.
     */
    public List<PartitionMetrics> missingFrom(List<PartitionMetrics> lines) {
        Map<Integer, PartitionMetrics> stages = new HashMap<>();
        Set<Long> seen = new HashSet<>();
        for (PartitionMetrics m : lines) {
            stages.putIfAbsent(m.stageId(), m);
            seen.add(m.taskAttemptId());
        }
        List<PartitionMetrics> out = new ArrayList<>();
        synchronized (failed) {
            for (Failed f : failed) {
                PartitionMetrics like = stages.get(f.stageId());
                if (like != null && !seen.contains(f.taskId())) {
                    out.add(new PartitionMetrics(like.policy(), like.appId(), like.jobId(), like.runId(), f.stageId(),
                        f.stageAttempt(), f.partition(), f.attempt(), f.taskId(), f.executorId(), "lost", f.reason(),
                        0, 0, 0, 0, 0, 0, 0, 0, 0, f.durationMillis() * 1_000_000L));
                }
            }
        }
        return out;
    }
}
