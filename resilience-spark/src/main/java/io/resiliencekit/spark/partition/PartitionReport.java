package io.resiliencekit.spark.partition;

import io.resiliencekit.spark.partition.internal.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The driver's view of a job's partitions: totals over every task attempt's line (failed attempts
 * included, so retries are visible), skew and the slowest partitions.
 *
 * <pre>{@code
 * PartitionReport report = PartitionReport.of(acc.value());
 * log.info(report.format());          // human-readable
 * log.info(report.toJson());          // one structured line
 * }</pre>
 *
 * <p>Skew is {@code max / median} of rows in and of duration over successful attempts: 1.0 is
 * perfectly even; 4.0 means the biggest partition is four times the typical one.
 */
public final class PartitionReport {

    private final List<PartitionMetrics> lines;
    private final PartitionMetrics totals;

    private PartitionReport(List<PartitionMetrics> lines) {
        this.lines = List.copyOf(lines);
        long rowsIn = 0, ok = 0, failed = 0, retried = 0, dl = 0, dup = 0, wait = 0, rej = 0, trans = 0, dur = 0;
        for (PartitionMetrics m : lines) {
            rowsIn += m.rowsIn();
            ok += m.succeeded();
            failed += m.failed();
            retried += m.retried();
            dl += m.deadLettered();
            dup += m.duplicatesSkipped();
            wait += m.throttleWaitNanos();
            rej += m.breakerRejections();
            trans += m.breakerTransitions();
            dur += m.durationNanos();
        }
        this.totals = new PartitionMetrics(lines.isEmpty() ? "" : lines.get(0).policy(),
            lines.isEmpty() ? "" : lines.get(0).appId(), lines.isEmpty() ? null : lines.get(0).jobId(),
            lines.isEmpty() ? null : lines.get(0).runId(), -1, -1, -1, -1, -1, "all",
            failedAttempts() == 0 ? "ok" : "some attempts failed", null,
            rowsIn, ok, failed, retried, dl, dup, wait, rej, trans, dur);
    }

    public static PartitionReport of(List<PartitionMetrics> lines) {
        return new PartitionReport(lines);
    }

    /** Every line, in arrival order. */
    public List<PartitionMetrics> lines() {
        return lines;
    }

    /** Sums over all lines; {@code durationNanos} is the summed task time, not the job's elapsed time. */
    public PartitionMetrics totals() {
        return totals;
    }

    public int attempts() {
        return lines.size();
    }

    /** Attempts that did not succeed: failed, killed, or lost with their executor. */
    public long failedAttempts() {
        return lines.stream().filter(m -> !m.ok()).count();
    }

    /** Attempts whose executor JVM died: Spark reported them failed, their own lines never arrived. */
    public long lostAttempts() {
        return lines.stream().filter(m -> "lost".equals(m.status())).count();
    }

    /** Distinct (stage, partition) pairs with a successful attempt. */
    public long partitionsSucceeded() {
        return lines.stream().filter(PartitionMetrics::ok).map(m -> m.stageId() + ":" + m.partition()).distinct().count();
    }

    /** Max over median of rows in, among successful attempts; 0 when there are none. */
    public double rowSkew() {
        return skew(lines.stream().filter(PartitionMetrics::ok).mapToLong(PartitionMetrics::rowsIn).sorted().toArray());
    }

    /** Max over median of duration, among successful attempts. */
    public double durationSkew() {
        return skew(lines.stream().filter(PartitionMetrics::ok).mapToLong(PartitionMetrics::durationNanos).sorted().toArray());
    }

    /** The {@code n} longest attempts, longest first. */
    public List<PartitionMetrics> slowest(int n) {
        List<PartitionMetrics> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparingLong(PartitionMetrics::durationNanos).reversed());
        return sorted.subList(0, Math.min(n, sorted.size()));
    }

    private static double skew(long[] sorted) {
        if (sorted.length == 0) {
            return 0.0;
        }
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
            : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
        return median <= 0 ? 0.0 : sorted[sorted.length - 1] / median;
    }

    /** One JSON line with the totals, skew and the three slowest partitions. */
    public String toJson() {
        StringBuilder sb = new StringBuilder(512).append('{');
        Json.field(sb, "metric", "resiliencekit.report").append(',');
        Json.field(sb, "attempts", attempts()).append(',');
        Json.field(sb, "failedAttempts", failedAttempts()).append(',');
        Json.field(sb, "lostAttempts", lostAttempts()).append(',');
        Json.field(sb, "partitionsSucceeded", partitionsSucceeded()).append(',');
        Json.field(sb, "rowsIn", totals.rowsIn()).append(',');
        Json.field(sb, "succeeded", totals.succeeded()).append(',');
        Json.field(sb, "failed", totals.failed()).append(',');
        Json.field(sb, "retried", totals.retried()).append(',');
        Json.field(sb, "deadLettered", totals.deadLettered()).append(',');
        Json.field(sb, "duplicatesSkipped", totals.duplicatesSkipped()).append(',');
        Json.field(sb, "throttleWaitMillis", totals.throttleWaitMillis()).append(',');
        Json.field(sb, "breakerRejections", totals.breakerRejections()).append(',');
        Json.field(sb, "breakerTransitions", totals.breakerTransitions()).append(',');
        Json.field(sb, "taskMillis", totals.durationMillis()).append(',');
        Json.field(sb, "rowSkew", rowSkew()).append(',');
        Json.field(sb, "durationSkew", durationSkew()).append(',');
        Json.string(sb, "slowest").append(":[");
        List<PartitionMetrics> slow = slowest(3);
        for (int i = 0; i < slow.size(); i++) {
            PartitionMetrics m = slow.get(i);
            sb.append(i == 0 ? "" : ",").append('{');
            Json.field(sb, "stage", m.stageId()).append(',');
            Json.field(sb, "partition", m.partition()).append(',');
            Json.field(sb, "attempt", m.attempt()).append(',');
            Json.field(sb, "durationMillis", m.durationMillis()).append(',');
            Json.field(sb, "rowsIn", m.rowsIn()).append('}');
        }
        return sb.append("]}").toString();
    }

    /** A short human-readable table. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "partitions: %d attempts, %d failed, %d succeeded%n",
            attempts(), failedAttempts(), partitionsSucceeded()));
        if (lostAttempts() > 0) {
            sb.append(String.format(Locale.ROOT, "  %d of the failed attempts were lost with their executor (their counts"
                + " died with it; the totals below miss them)%n", lostAttempts()));
        }
        sb.append(String.format(Locale.ROOT, "rows in %d, succeeded %d, failed %d, dead-lettered %d, duplicates skipped %d%n",
            totals.rowsIn(), totals.succeeded(), totals.failed(), totals.deadLettered(), totals.duplicatesSkipped()));
        sb.append(String.format(Locale.ROOT, "retries %d, throttle wait %d ms, breaker rejections %d, breaker transitions %d%n",
            totals.retried(), totals.throttleWaitMillis(), totals.breakerRejections(), totals.breakerTransitions()));
        sb.append(String.format(Locale.ROOT, "skew: rows %.2f, duration %.2f (max/median)%n", rowSkew(), durationSkew()));
        for (PartitionMetrics m : slowest(3)) {
            sb.append(String.format(Locale.ROOT, "  slow: stage %d partition %d attempt %d: %d ms, %d rows, %.0f rows/s, %s%n",
                m.stageId(), m.partition(), m.attempt(), m.durationMillis(), m.rowsIn(), m.rowsPerSecond(), m.status()));
        }
        return sb.toString();
    }
}
