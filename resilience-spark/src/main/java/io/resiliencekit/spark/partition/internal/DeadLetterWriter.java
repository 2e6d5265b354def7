package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.spark.partition.PartitionDeadLetter;
import io.resiliencekit.spark.partition.PartitionInfo;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One task attempt's dead letters: appended to a temp file, moved into place atomically only when
 * the attempt succeeds, deleted when it fails (its records will be processed again).
 */
public final class DeadLetterWriter {

    private final Path dir;
    private final PartitionInfo info;
    private Path tmp;
    private BufferedWriter out;

    public DeadLetterWriter(String dir, PartitionInfo info) {
        this.dir = Path.of(dir);
        this.info = info;
    }

    public void write(PartitionDeadLetter d) {
        try {
            if (out == null) {
                Path tmpDir = dir.resolve("_tmp");
                Files.createDirectories(tmpDir);
                tmp = tmpDir.resolve(info.appId() + "-" + info.taskAttemptId() + "-" + System.nanoTime() + ".jsonl");
                out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
            }
            out.write(d.toJson());
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write dead letter under " + dir, e);
        }
    }

    /** Publishes this attempt's dead letters (a no-op when there were none). */
    public void commit() throws IOException {
        if (out == null) {
            return;
        }
        out.close();
        out = null;
        Path target = dir.resolve(String.format("part-%05d-s%d.jsonl", info.partition(), info.stageId()));
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Drops this attempt's dead letters. */
    public void abort() {
        try {
            if (out != null) {
                out.close();
                out = null;
            }
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException ignored) {
            // best effort: an orphan under _tmp is never read
        }
    }
}
