package io.resiliencekit.spark.partition;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the JSON Lines dead letters the helpers write under {@code partition.deadLetterPath}.
 *
 * <p>Each task attempt writes {@code _tmp/<taskAttemptId>.jsonl} and, only when the task succeeds,
 * moves it atomically to {@code part-<partition>-s<stage>.jsonl}: a failed attempt's dead letters
 * vanish with it (its records are processed again by the retry), and a speculative twin replaces
 * the file with the same content. {@link #read} still deduplicates by (key, partition, offset): a stage retry writes a new file
 * under another stage id, and the latest file wins.
 *
 * <pre>{@code
 * List<PartitionDeadLetter> dead = DeadLetterFiles.read(Path.of(opts.deadLetterPath()));
 * }</pre>
 */
public final class DeadLetterFiles {

    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\":(\"((?:[^\"\\\\]|\\\\.)*)\"|-?\\d+|null)");

    private DeadLetterFiles() {
    }

    /** Every committed dead letter under {@code dir}, one per (key, partition, offset). */
    public static List<PartitionDeadLetter> read(Path dir) {
        Map<String, PartitionDeadLetter> byKey = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "part-*.jsonl")) {
            List<Path> sorted = new ArrayList<>();
            files.forEach(sorted::add);
            sorted.sort(null);
            for (Path f : sorted) {
                for (String line : Files.readAllLines(f)) {
                    if (!line.isBlank()) {
                        PartitionDeadLetter d = parse(line);
                        byKey.put(d.key() + "@" + d.offset() + "@" + d.partition(), d);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read dead letters under " + dir, e);
        }
        return List.copyOf(byKey.values());
    }

    static PartitionDeadLetter parse(String line) {
        Map<String, String> f = new LinkedHashMap<>();
        Matcher m = FIELD.matcher(line);
        while (m.find()) {
            String raw = m.group(2);
            f.put(m.group(1), raw.equals("null") ? null : m.group(3) != null ? unescape(m.group(3)) : raw);
        }
        return new PartitionDeadLetter(f.get("key"), f.get("runId"), f.get("appId"), num(f, "stage"),
            num(f, "partition"), num(f, "attempt"), Long.parseLong(f.getOrDefault("offset", "-1")), f.get("policy"),
            f.get("failureKind"), num(f, "attempts"), f.get("errorClass"), f.get("message"), f.get("stackTrace"),
            Long.parseLong(f.getOrDefault("failedAtMillis", "0")), f.get("payload"));
    }

    private static int num(Map<String, String> f, String k) {
        String v = f.get(k);
        return v == null ? -1 : Integer.parseInt(v);
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            char n = s.charAt(++i);
            switch (n) {
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                default: sb.append(n);
            }
        }
        return sb.toString();
    }
}
