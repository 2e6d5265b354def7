package io.resiliencekit.spark.partition;

import io.resiliencekit.config.Secrets;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterReader;
import io.resiliencekit.deadletter.JsonLinesDeadLetterSink;
import io.resiliencekit.deadletter.SourcePosition;
import io.resiliencekit.spark.partition.internal.HadoopFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Reads the dead letters the partition helpers write under {@code partition.deadLetterPath}, one
 * per record: core {@link DeadLetter}s (checksums verified), de-duplicated across task attempts.
 * {@link #read(String)} takes the option as given: a path, or any Hadoop file system URI
 * ({@code s3a://bucket/dlq}, {@code hdfs:///dlq}, {@code file:///data/dlq}).
 *
 * <p>Each task attempt writes its letters, through Hadoop's {@code FileSystem}, into a hidden
 * temporary file that is renamed into place ({@code part-<partition>-s<stage>-t<taskAttempt>-000001.jsonl})
 * only when the attempt succeeds; a failed or killed attempt's letters are discarded (its records
 * are processed again by the retry). Two attempts of the same partition can still both succeed: a
 * speculative twin, a stage re-run, or the same run submitted twice. {@link #read} keeps one letter
 * per (key, run, partition, offset), the one that failed last. {@link #reader(String)} reads every
 * file as it is, e.g. to replay through a policy whose idempotency guard skips the twins' duplicates.
 *
 * <pre>{@code
 * List<DeadLetter> dead = DeadLetterFiles.read(opts.deadLetterPath());
 * for (DeadLetter d : dead) {
 *     log.warn("{} at partition {} offset {}: {}", d.key(), d.source().partition(), d.source().offset(), d.errorClass());
 * }
 * }</pre>
 */
public final class DeadLetterFiles {

    private DeadLetterFiles() {
    }

    /**
     * Every committed dead letter under {@code dir}, one per record (empty if there is no directory).
     *
     * @throws IllegalStateException naming each corrupt entry (unreadable or checksum mismatch), if any
     */
    public static List<DeadLetter> read(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        return oneLetterPerRecord(DeadLetterReader.files(dir).readAll());
    }

    /**
     * Every committed dead letter under {@code partition.deadLetterPath} as given: a path or a
     * Hadoop file system URI ({@code s3a://bucket/dlq}, {@code hdfs:///dlq}), one per record.
     *
     * @throws IllegalStateException naming each corrupt entry (unreadable or checksum mismatch), if any
     */
    public static List<DeadLetter> read(String deadLetterPath) {
        return oneLetterPerRecord(reader(deadLetterPath).readAll());
    }

    /** Reads every published file under {@code deadLetterPath} as it is (twins included), e.g. to replay them. */
    public static DeadLetterReader reader(String deadLetterPath) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(deadLetterPath);
        return DeadLetterReader.lines(Secrets.redactUrl(deadLetterPath), line -> {
            FileSystem fs = dir.getFileSystem(HadoopFiles.configuration());
            if (!fs.exists(dir)) {
                return;
            }
            List<FileStatus> files = new ArrayList<>();
            for (FileStatus f : fs.listStatus(dir)) {
                String n = f.getPath().getName();
                if (f.isFile() && n.endsWith(JsonLinesDeadLetterSink.SUFFIX) && !n.startsWith(".") && !n.startsWith("_")) {
                    files.add(f);
                }
            }
            files.sort(Comparator.comparing(f -> f.getPath().getName()));
            for (FileStatus f : files) {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(f.getPath()), StandardCharsets.UTF_8))) {
                    int n = 0;
                    for (String l; (l = r.readLine()) != null; ) {
                        n++;
                        if (!l.isBlank()) {
                            line.accept(f.getPath().getName() + ":" + n, l);
                        }
                    }
                }
            }
        });
    }

    private static List<DeadLetter> oneLetterPerRecord(List<DeadLetter> letters) {
        Map<List<Object>, DeadLetter> byRecord = new LinkedHashMap<>();
        for (DeadLetter d : letters) {
            SourcePosition s = d.source();
            byRecord.merge(Arrays.asList(d.key(), s.run(), s.partition(), s.offset()), d,
                (a, b) -> b.lastFailureEpochMillis() >= a.lastFailureEpochMillis() ? b : a);
        }
        return List.copyOf(byRecord.values());
    }
}
