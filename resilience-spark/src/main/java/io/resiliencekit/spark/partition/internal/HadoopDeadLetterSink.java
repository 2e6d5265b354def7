package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.config.Secrets;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterSink;
import io.resiliencekit.deadletter.JsonLinesDeadLetterSink;
import io.resiliencekit.deadletter.Redactor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes one unit of work's dead letters (a task attempt's) as one JSON Lines file on any Hadoop
 * file system, all or nothing: letters go to a hidden temporary file ({@code .name.jsonl.tmp})
 * that {@link #flush()} syncs, closes and renames into place; {@link #abort()} deletes it.
 * Readers ({@code DeadLetterReader}, {@code DeadLetterFiles}) skip hidden files, so they see
 * either every letter of the unit or none. On HDFS and local disks the rename is atomic; on
 * object stores (s3a, gs, abfs without hierarchical namespace) a rename is a copy, and a single
 * object still appears whole or not at all.
 *
 * <p>The same file names as core's {@link JsonLinesDeadLetterSink}: {@code prefix-writer-000001.jsonl}.
 * Not thread-safe: one task attempt writes it.
 */
public final class HadoopDeadLetterSink implements DeadLetterSink {

    private final Path directory;
    private final String shownDirectory;
    private final String prefix;
    private final String writerId;
    private final Redactor redactor;
    private FileSystem fs;
    private FSDataOutputStream out;
    private Path tmp;
    private Path target;
    private int seq;
    private int written;
    private boolean closed;

    public HadoopDeadLetterSink(String directory, String prefix, String writerId, Redactor redactor) {
        this.directory = new Path(Objects.requireNonNull(directory, "directory"));
        this.shownDirectory = Secrets.redactUrl(directory);
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.writerId = Objects.requireNonNull(writerId, "writerId");
        this.redactor = Objects.requireNonNull(redactor, "redactor");
    }

    @Override
    public DeadLetter write(DeadLetter letter) {
        if (closed) {
            throw new IllegalStateException("dead-letter sink for " + shownDirectory + " is closed");
        }
        DeadLetter stored = redactor.redact(Objects.requireNonNull(letter, "letter"));
        try {
            if (out == null) {
                open();
            }
            out.write((stored.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw failure("cannot write a dead letter under " + shownDirectory, e);
        }
        written++;
        return stored;
    }

    private void open() throws IOException {
        if (fs == null) {
            fs = HadoopFiles.fileSystem(directory);
            fs.mkdirs(directory);
        }
        do {
            seq++;
            target = new Path(directory, String.format("%s-%s-%06d%s", prefix, writerId, seq, JsonLinesDeadLetterSink.SUFFIX));
        } while (fs.exists(target));
        tmp = new Path(directory, "." + target.getName() + ".tmp");
        out = fs.create(tmp, true);
        written = 0;
    }

    /** Publishes the letters written since the last publish as one file, atomically. */
    @Override
    public void flush() {
        if (out == null) {
            return;
        }
        try {
            out.hsync();
            out.close();
            out = null;
            if (!fs.rename(tmp, target)) {
                throw new IOException("rename to " + target.getName() + " refused");
            }
        } catch (IOException e) {
            throw failure("cannot publish dead letters under " + shownDirectory, e);
        }
    }

    /** Discards the letters written since the last publish; returns how many there were. */
    public int abort() {
        if (out == null) {
            return 0;
        }
        int discarded = written;
        written = 0;
        try {
            out.close();
        } catch (IOException ignored) {
            // the file is deleted next; its content does not matter
        }
        out = null;
        try {
            fs.delete(tmp, false);
        } catch (IOException e) {
            // still safe: readers skip hidden temporary files
            throw failure("cannot delete discarded dead letters under " + shownDirectory, e);
        }
        return discarded;
    }

    @Override
    public void close() {
        if (!closed) {
            flush();
            closed = true;
        }
    }

    // Hadoop's messages quote paths, and an object store URI may carry credentials.
    private static IllegalStateException failure(String message, IOException e) {
        return new IllegalStateException(message + ": " + Secrets.scrub(String.valueOf(e.getMessage())), Secrets.scrubbed(e));
    }

    @Override
    public String toString() {
        return "HadoopDeadLetterSink{" + shownDirectory + ", writer=" + writerId + '}';
    }
}
