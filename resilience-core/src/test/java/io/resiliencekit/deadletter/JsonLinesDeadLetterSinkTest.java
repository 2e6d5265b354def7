package io.resiliencekit.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.CallContext;
import io.resiliencekit.idempotency.DefaultIdempotencyGuard;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.ManualTicker;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesDeadLetterSinkTest {

    @TempDir
    Path dir;

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void replayReadsBackExactlyWhatWasWritten() throws Exception {
        List<DeadLetter> written = new ArrayList<>();
        EventPublisher events = new EventPublisher();
        List<ResilienceEvent> seen = new ArrayList<>();
        events.register(seen::add);
        try (JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).writerId("p0").maxRecordsPerFile(4)
            .events(events, "orders", new ManualTicker()).build()) {
            for (int i = 0; i < 10; i++) {
                written.add(sink.write(Samples.letter(i)));
            }
        }
        assertThat(names()).containsExactly("deadletters-p0-000001.jsonl", "deadletters-p0-000002.jsonl",
            "deadletters-p0-000003.jsonl");
        assertThat(seen).hasSize(10).allMatch(e -> e.type() == EventType.DEAD_LETTERED);
        List<DeadLetter> read = DeadLetterReader.files(dir).readAll();
        assertThat(read).containsExactlyElementsOf(written);
        assertThat(read).allMatch(DeadLetter::verifyChecksum);
        // stored letters are redacted by default
        assertThat(Files.readString(dir.resolve("deadletters-p0-000001.jsonl"))).doesNotContain("hunter2")
            .doesNotContain(Samples.API_TOKEN);
        List<DeadLetter> replayed = new ArrayList<>();
        DeadLetterReader.ReplayReport report = DeadLetterReader.files(dir).replay(replayed::add);
        assertThat(replayed).containsExactlyElementsOf(written);
        assertThat(report.read()).isEqualTo(10);
        assertThat(report.succeeded()).isEqualTo(10);
    }

    @Test
    void abortDiscardsUnpublishedLettersOnlyAndTheSinkStaysUsable() throws Exception {
        try (JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).writerId("t").build()) {
            assertThat(sink.abort()).isZero();                 // nothing written: nothing to discard
            DeadLetter kept = sink.write(Samples.letter(1));
            sink.flush();                                      // published: abort no longer touches it
            sink.write(Samples.letter(2));
            sink.write(Samples.letter(3));
            assertThat(sink.abort()).isEqualTo(2);
            assertThat(names()).containsExactly("deadletters-t-000001.jsonl");   // temp file deleted
            assertThat(DeadLetterReader.files(dir).readAll()).containsExactly(kept);
            DeadLetter later = sink.write(Samples.letter(4));   // still usable after an abort
            sink.flush();
            assertThat(DeadLetterReader.files(dir).readAll()).containsExactly(kept, later);
            assertThat(names()).hasSize(2).noneMatch(n -> n.startsWith("."));
        }
    }

    @Test
    void lettersAreInvisibleUntilFlushedAndARerunDoesNotOverwrite() throws Exception {
        JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).writerId("w").build();
        sink.write(Samples.letter(1));
        assertThat(names()).containsExactly(".deadletters-w-000001.jsonl.tmp");
        assertThat(DeadLetterReader.files(dir).readAll()).isEmpty();
        sink.flush();
        sink.flush(); // nothing new: no empty file
        assertThat(names()).containsExactly("deadletters-w-000001.jsonl");
        sink.close();
        assertThatThrownBy(() -> sink.write(Samples.letter(2))).hasMessageContaining("closed");
        try (JsonLinesDeadLetterSink again = JsonLinesDeadLetterSink.builder(dir).writerId("w").build()) {
            again.write(Samples.letter(2));
        }
        assertThat(names()).containsExactly("deadletters-w-000001.jsonl", "deadletters-w-000002.jsonl");
        assertThat(DeadLetterReader.files(dir).readAll()).extracting(DeadLetter::key)
            .containsExactly("orders:batch-42:1", "orders:batch-42:2");
    }

    @Test
    void corruptLinesAreReportedNotReplayed() throws Exception {
        try (JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).writerId("c").build()) {
            sink.write(Samples.letter(1));
            sink.write(Samples.letter(2));
        }
        Path f = dir.resolve("deadletters-c-000001.jsonl");
        List<String> lines = Files.readAllLines(f);
        Files.write(f, List.of(lines.get(0).replace("\"attempts\":3", "\"attempts\":2"), lines.get(1), "{not json"));
        AtomicInteger replayed = new AtomicInteger();
        DeadLetterReader.ReplayReport report = DeadLetterReader.files(dir).replay(l -> replayed.incrementAndGet());
        assertThat(replayed).hasValue(1);
        assertThat(report.read()).isEqualTo(3);
        assertThat(report.corrupt()).hasSize(2);
        assertThat(report.corrupt().get(0)).startsWith("deadletters-c-000001.jsonl:1: checksum mismatch");
        assertThat(report.corrupt().get(1)).startsWith("deadletters-c-000001.jsonl:3: bad JSON");
        assertThatThrownBy(() -> DeadLetterReader.files(dir).readAll()).hasMessageContaining("2 corrupt dead letters");
    }

    @Test
    void replayThroughAnIdempotencyGuardRunsEachKeyOnceAndReportsFailures() throws Exception {
        try (JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).build()) {
            IntStream.range(0, 5).forEach(i -> sink.write(Samples.letter(i)));
        }
        ManualTicker ticker = new ManualTicker();
        DefaultIdempotencyGuard guard = new DefaultIdempotencyGuard(IdempotencyConfig.builder().build(),
            InMemoryIdempotencyStore.builder().ticker(ticker).build(), ticker, new EventPublisher());
        DeadLetterReader.Invoker throughGuard = (CallContext ctx, io.resiliencekit.CheckedRunnable action) ->
            guard.execute("replay", ctx, () -> {
                action.run();
                return "ok";
            });
        AtomicInteger sent = new AtomicInteger();
        DeadLetterReader.ReplayReport first = DeadLetterReader.files(dir).replay(throughGuard, l -> {
            if (l.key().endsWith(":4")) {
                throw new IllegalStateException("still rejected");
            }
            sent.incrementAndGet();
        });
        assertThat(first.succeeded()).isEqualTo(4);
        assertThat(first.failures()).singleElement().satisfies(f -> {
            assertThat(f.letter().key()).isEqualTo("orders:batch-42:4");
            assertThat(f.error()).hasMessage("still rejected");
        });
        DeadLetterReader.ReplayReport second = DeadLetterReader.files(dir).replay(throughGuard, l -> sent.incrementAndGet());
        assertThat(second.succeeded()).isEqualTo(5);
        assertThat(sent).as("keys 0-3 were done; only the failed key 4 ran again").hasValue(5);
    }

    @Test
    void aWriterKilledMidFileLeavesNoPartialFileVisible() throws Exception {
        List<String> cmd = List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
            "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
            DeadLetterWorker.class.getName(), dir.toString(), "25", "7");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            List<String> seen = new ArrayList<>();
            while ((line = out.readLine()) != null && !line.startsWith("MIDFILE")) {
                seen.add(line);
            }
            assertThat(line).as("child output: %s", seen).startsWith("MIDFILE");
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        // the unflushed letters sit in a hidden temp file, which holds real but unpublished data
        assertThat(names()).containsExactly(".deadletters-worker-000002.jsonl.tmp", "deadletters-worker-000001.jsonl");
        assertThat(Files.readAllLines(dir.resolve(".deadletters-worker-000002.jsonl.tmp"))).hasSize(7);
        List<DeadLetter> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            expected.add(Redactor.defaults().redact(Samples.letter(i)));
        }
        assertThat(DeadLetterReader.files(dir).readAll()).containsExactlyElementsOf(expected);
    }
}
