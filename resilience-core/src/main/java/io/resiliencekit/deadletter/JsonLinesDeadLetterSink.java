package io.resiliencekit.deadletter;

import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.Ticker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Writes dead letters as JSON Lines files, atomically: letters go to a hidden temporary file
 * ({@code .name.jsonl.tmp}) that {@link #flush()} forces to disk and renames with
 * {@link StandardCopyOption#ATOMIC_MOVE} to {@code prefix-writer-000001.jsonl}. Readers only see
 * complete files; a writer killed mid-file leaves only its hidden temporary file.
 *
 * <pre>{@code
 * try (JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(Path.of("/data/dlq"))
 *         .writerId("batch42-p17")            // e.g. run and partition; random if not set
 *         .maxRecordsPerFile(10_000)
 *         .build()) {
 *     sink.write(letter);
 * }
 * DeadLetterReader.files(Path.of("/data/dlq")).readAll();
 * }</pre>
 *
 * <p>Thread-safe. Each {@link #flush()} that has letters publishes one file; with a fixed
 * writer id, a re-run of the same writer continues numbering after existing files instead of
 * overwriting them.
 */
public final class JsonLinesDeadLetterSink implements DeadLetterSink {

    /** Extension of published dead-letter files; readers skip others, and hidden (dot) files. */
    public static final String SUFFIX = ".jsonl";
    static final String TMP_SUFFIX = ".tmp";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._\\-]{1,100}");

    private final Path directory;
    private final String prefix;
    private final String writerId;
    private final Redactor redactor;
    private final int maxRecordsPerFile;
    private final EventPublisher events;
    private final String eventSource;
    private final Ticker ticker;

    private int seq;
    private FileChannel channel;
    private Path tmp;
    private Path target;
    private int recordsInFile;
    private boolean closed;

    private JsonLinesDeadLetterSink(Builder b) {
        this.directory = b.directory;
        this.prefix = b.prefix;
        this.writerId = b.writerId != null ? b.writerId : Long.toHexString(ThreadLocalRandom.current().nextLong());
        this.redactor = b.redactor;
        this.maxRecordsPerFile = b.maxRecordsPerFile;
        this.events = b.events;
        this.eventSource = b.eventSource;
        this.ticker = b.ticker;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create dead-letter directory " + directory, e);
        }
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    @Override
    public synchronized DeadLetter write(DeadLetter letter) {
        if (closed) {
            throw new IllegalStateException("dead-letter sink for " + directory + " is closed");
        }
        DeadLetter stored = redactor.redact(Objects.requireNonNull(letter, "letter"));
        byte[] line = (stored.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (channel == null) {
                open();
            }
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write dead letter to " + tmp, e);
        }
        recordsInFile++;
        if (events != null && events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.DEAD_LETTERED, eventSource, ticker.epochMillis(), stored.attempts(),
                Duration.ZERO, stored.errorClass(), null));
        }
        if (recordsInFile >= maxRecordsPerFile) {
            flush();
        }
        return stored;
    }

    private void open() throws IOException {
        do {
            seq++;
            target = directory.resolve(String.format("%s-%s-%06d%s", prefix, writerId, seq, SUFFIX));
        } while (Files.exists(target));
        tmp = directory.resolve("." + target.getFileName() + TMP_SUFFIX);
        channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        recordsInFile = 0;
    }

    @Override
    public synchronized void flush() {
        if (channel == null) {
            return;
        }
        try {
            channel.force(true);
            channel.close();
            channel = null;
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish dead-letter file " + target, e);
        }
    }

    /**
     * Discards the letters written since the last publish (the unpublished temporary file) and
     * returns how many there were; the sink stays open. Letters already published by
     * {@link #flush()} (or by reaching {@code maxRecordsPerFile}) stay. This makes a sink one unit
     * of work that is all or nothing, e.g. a Spark task attempt whose records are processed again
     * when it fails: set {@code maxRecordsPerFile} above what one unit can write, {@code flush()}
     * to commit, {@code abort()} to roll back.
     *
     * <pre>{@code
     * try {
     *     ... sink.write(letter) ...
     *     sink.flush();          // commit: the letters appear at once, in one file
     * } catch (RuntimeException e) {
     *     sink.abort();          // roll back: readers never see them
     *     throw e;
     * }
     * }</pre>
     */
    public synchronized int abort() {
        if (channel == null) {
            return 0;
        }
        int discarded = recordsInFile;
        recordsInFile = 0;
        try {
            channel.close();
        } catch (IOException ignored) {
            // the file is deleted next; its content does not matter
        }
        channel = null;
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            // still safe: readers skip hidden temporary files
            throw new UncheckedIOException("cannot delete discarded dead-letter file " + tmp, e);
        }
        return discarded;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            flush();
            closed = true;
        }
    }

    public Path directory() {
        return directory;
    }

    @Override
    public String toString() {
        return "JsonLinesDeadLetterSink{" + directory + ", writer=" + writerId + '}';
    }

    /** Builds a {@link JsonLinesDeadLetterSink}. */
    public static final class Builder {
        private final Path directory;
        private String prefix = "deadletters";
        private String writerId;
        private Redactor redactor = Redactor.defaults();
        private int maxRecordsPerFile = 10_000;
        private EventPublisher events;
        private String eventSource = "deadletters";
        private Ticker ticker = Ticker.system();

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /** File name prefix (letters, digits, '.', '_', '-'). */
        public Builder prefix(String prefix) {
            this.prefix = safe("prefix", prefix);
            return this;
        }

        /** Identifies this writer in file names (e.g. run and partition); random when not set. */
        public Builder writerId(String writerId) {
            this.writerId = safe("writerId", writerId);
            return this;
        }

        public Builder redactor(Redactor redactor) {
            this.redactor = Objects.requireNonNull(redactor, "redactor");
            return this;
        }

        /** Publish a file after this many letters (default 10,000). */
        public Builder maxRecordsPerFile(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxRecordsPerFile must be at least 1, was " + n);
            }
            this.maxRecordsPerFile = n;
            return this;
        }

        /** Publishes a {@link EventType#DEAD_LETTERED} event per letter, named {@code source}. */
        public Builder events(EventPublisher events, String source, Ticker ticker) {
            this.events = events;
            this.eventSource = Objects.requireNonNull(source, "source");
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        public JsonLinesDeadLetterSink build() {
            return new JsonLinesDeadLetterSink(this);
        }

        private static String safe(String what, String v) {
            if (v == null || !SAFE.matcher(v).matches()) {
                throw new IllegalArgumentException(what + " must be 1-100 characters of letters, digits, '.', '_' or '-', was '"
                    + v + "'");
            }
            return v;
        }
    }
}
