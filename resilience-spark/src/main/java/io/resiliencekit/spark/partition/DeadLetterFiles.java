package io.resiliencekit.spark.partition;

import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterReader;
import io.resiliencekit.deadletter.SourcePosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the dead letters the partition helpers write under {@code partition.deadLetterPath}, one
 * per record: core {@link DeadLetter}s read with {@link DeadLetterReader} (checksums verified),
 * de-duplicated across task attempts.
 *
 * <p>Each task attempt writes its letters through a core {@code JsonLinesDeadLetterSink} into a
 * hidden temporary file that is renamed into place ({@code part-<partition>-s<stage>-t<taskAttempt>-000001.jsonl})
 * only when the attempt succeeds; a failed or killed attempt's letters are discarded (its records
 * are processed again by the retry). Two attempts of the same partition can still both succeed: a
 * speculative twin, a stage re-run, or the same run submitted twice. {@link #read} keeps one letter
 * per (key, run, partition, offset), the one that failed last. {@code DeadLetterReader.files(dir)}
 * reads every file as it is, e.g. to replay through a policy whose idempotency guard skips the
 * twins' duplicates.
 *
 * <pre>{@code
 * List<DeadLetter> dead = DeadLetterFiles.read(Path.of(opts.deadLetterPath()));
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
        Map<List<Object>, DeadLetter> byRecord = new LinkedHashMap<>();
        for (DeadLetter d : DeadLetterReader.files(dir).readAll()) {
            SourcePosition s = d.source();
            byRecord.merge(Arrays.asList(d.key(), s.run(), s.partition(), s.offset()), d,
                (a, b) -> b.lastFailureEpochMillis() >= a.lastFailureEpochMillis() ? b : a);
        }
        return List.copyOf(byRecord.values());
    }
}
