package io.resiliencekit.deadletter;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedRunnable;
import io.resiliencekit.policy.ResiliencePolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * Reads dead letters back (JSON Lines files or a JDBC table), verifies each checksum, and replays
 * them through a policy.
 *
 * <pre>{@code
 * DeadLetterReader reader = DeadLetterReader.files(Path.of("/data/dlq"));
 * ReplayReport report = reader.replay(policy, letter -> api.send(Order.fromMap((Map<?, ?>) letter.payload())));
 * log.info("replayed {} of {}, {} failed again, {} corrupt", report.succeeded(), report.read(),
 *     report.failures().size(), report.corrupt().size());
 * }</pre>
 *
 * <p>Each letter is replayed with its idempotency key in the {@link CallContext}, so a replay of
 * something that did go through after all is skipped by the guard. Only complete files
 * ({@code *.jsonl}, not hidden) are read, in name order; corrupt lines and checksum mismatches are
 * reported, never replayed.
 */
public final class DeadLetterReader {

    /** Replays one letter; throw to report it as failed again. */
    @FunctionalInterface
    public interface ReplayHandler {
        void replay(DeadLetter letter) throws Exception;
    }

    /** Runs a replay under a policy (or any wrapper), with the letter's key as context. */
    @FunctionalInterface
    public interface Invoker {
        void invoke(CallContext context, CheckedRunnable action) throws Exception;
    }

    /** One letter that failed again during replay. */
    public static final class Failure {
        private final DeadLetter letter;
        private final Throwable error;

        Failure(DeadLetter letter, Throwable error) {
            this.letter = letter;
            this.error = error;
        }

        public DeadLetter letter() {
            return letter;
        }

        public Throwable error() {
            return error;
        }
    }

    /** What a replay did. */
    public static final class ReplayReport {
        private final int read;
        private final int succeeded;
        private final List<Failure> failures;
        private final List<String> corrupt;

        ReplayReport(int read, int succeeded, List<Failure> failures, List<String> corrupt) {
            this.read = read;
            this.succeeded = succeeded;
            this.failures = Collections.unmodifiableList(failures);
            this.corrupt = Collections.unmodifiableList(corrupt);
        }

        /** Letters read (corrupt ones included). */
        public int read() {
            return read;
        }

        public int succeeded() {
            return succeeded;
        }

        public List<Failure> failures() {
            return failures;
        }

        /** Where and why entries could not be read or failed their checksum ({@code file:line: reason}). */
        public List<String> corrupt() {
            return corrupt;
        }

        @Override
        public String toString() {
            return "ReplayReport{read=" + read + ", succeeded=" + succeeded + ", failed=" + failures.size() + ", corrupt="
                + corrupt.size() + '}';
        }
    }

    @FunctionalInterface
    private interface Source {
        void forEach(Entry sink) throws IOException, SQLException;
    }

    @FunctionalInterface
    private interface Entry {
        void accept(String location, String json);
    }

    private final Source source;
    private final String description;

    private DeadLetterReader(Source source, String description) {
        this.source = source;
        this.description = description;
    }

    /** Reads a JSON Lines file, or every complete {@code *.jsonl} file of a directory. */
    public static DeadLetterReader files(Path fileOrDirectory) {
        Objects.requireNonNull(fileOrDirectory, "fileOrDirectory");
        return new DeadLetterReader(sink -> {
            for (Path f : listFiles(fileOrDirectory)) {
                try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                    String line;
                    int n = 0;
                    while ((line = r.readLine()) != null) {
                        n++;
                        if (!line.isBlank()) {
                            sink.accept(f.getFileName() + ":" + n, line);
                        }
                    }
                }
            }
        }, fileOrDirectory.toString());
    }

    /** Supplies the JSON lines of dead letters, each with where it was read (for corrupt-entry reports). */
    @FunctionalInterface
    public interface LineSource {
        void forEach(BiConsumer<String, String> locationAndJson) throws IOException;
    }

    /**
     * Reads letters from any source of JSON lines, such as files on another file system (the Spark
     * module reads Hadoop file systems this way).
     */
    public static DeadLetterReader lines(String description, LineSource source) {
        Objects.requireNonNull(source, "source");
        return new DeadLetterReader(sink -> source.forEach(sink::accept), Objects.requireNonNull(description, "description"));
    }

    /** Reads the table a {@link JdbcDeadLetterSink} writes, in insertion order. */
    public static DeadLetterReader jdbc(DataSource dataSource, String table) {
        String t = JdbcDeadLetterSink.checkTable(table);
        return new DeadLetterReader(sink -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT id, record FROM " + t + " ORDER BY id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sink.accept(t + ":" + rs.getLong(1), rs.getString(2));
                }
            }
        }, "table " + t);
    }

    static List<Path> listFiles(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return List.of(p);
        }
        try (Stream<Path> s = Files.list(p)) {
            List<Path> out = new ArrayList<>();
            s.filter(f -> {
                String n = f.getFileName().toString();
                return n.endsWith(JsonLinesDeadLetterSink.SUFFIX) && !n.startsWith(".") && Files.isRegularFile(f);
            }).sorted().forEach(out::add);
            return out;
        }
    }

    /**
     * Every letter, checksums verified.
     *
     * @throws IllegalStateException naming each corrupt entry, if any
     */
    public List<DeadLetter> readAll() {
        List<DeadLetter> out = new ArrayList<>();
        List<String> corrupt = new ArrayList<>();
        read(out::add, corrupt);
        if (!corrupt.isEmpty()) {
            throw new IllegalStateException(corrupt.size() + " corrupt dead letters in " + description + ": " + corrupt);
        }
        return out;
    }

    private void read(java.util.function.Consumer<DeadLetter> ok, List<String> corrupt) {
        try {
            source.forEach((location, json) -> {
                DeadLetter l;
                try {
                    l = DeadLetter.fromJson(json);
                } catch (IllegalArgumentException e) {
                    corrupt.add(location + ": " + e.getMessage());
                    return;
                }
                if (!l.verifyChecksum()) {
                    corrupt.add(location + ": checksum mismatch (stored " + l.checksum() + ")");
                    return;
                }
                ok.accept(l);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dead letters from " + description, e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read dead letters from " + description + ": " + e.getMessage(), e);
        }
    }

    /** Replays every valid letter through {@code handler}, directly. */
    public ReplayReport replay(ReplayHandler handler) {
        return replay((ctx, action) -> action.run(), handler);
    }

    /** Replays every valid letter through {@code policy} (retries, breaker, limiter, idempotency). */
    public ReplayReport replay(ResiliencePolicy policy, ReplayHandler handler) {
        Objects.requireNonNull(policy, "policy");
        return replay((ctx, action) -> policy.call(ctx, () -> {
            action.run();
            return null;
        }), handler);
    }

    /** Replays every valid letter through {@code invoker}, with the letter's key as context. */
    public ReplayReport replay(Invoker invoker, ReplayHandler handler) {
        Objects.requireNonNull(invoker, "invoker");
        Objects.requireNonNull(handler, "handler");
        List<DeadLetter> letters = new ArrayList<>();
        List<String> corrupt = new ArrayList<>();
        read(letters::add, corrupt);
        int ok = 0;
        List<Failure> failures = new ArrayList<>();
        for (DeadLetter l : letters) {
            CallContext ctx = l.key() == null ? CallContext.NONE : CallContext.ofKey(l.key());
            try {
                invoker.invoke(ctx, () -> handler.replay(l));
                ok++;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(new Failure(l, e));
                break;
            } catch (Exception e) {
                failures.add(new Failure(l, e));
            }
        }
        return new ReplayReport(letters.size() + corrupt.size(), ok, failures, corrupt);
    }

    @Override
    public String toString() {
        return "DeadLetterReader{" + description + '}';
    }
}
