package io.resiliencekit.spark.partition.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.classify.PermanentFailureException;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.DeadLetterReader;
import io.resiliencekit.deadletter.Redactor;
import io.resiliencekit.spark.partition.DeadLetterFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dead-letter sink of the partition helpers on Hadoop's local file system (file:// URIs); no Spark job. */
class HadoopDeadLetterSinkTest {

    @TempDir
    Path dir;

    static DeadLetter letter(int i) {
        return DeadLetter.builder().key("rk:r:" + i).payload("{\"id\":" + i + ",\"password\":\"hunter2\"}")
            .failure(new PermanentFailureException("bad record " + i), FailureClassifier.defaults(), 1000L + i)
            .failedAt(1000L + i).build();
    }

    static List<String> visible(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void aUnitsLettersAppearAllAtOnceOnFlushAndNeverAfterAbort() throws Exception {
        String uri = dir.resolve("dlq").toUri().toString();
        HadoopDeadLetterSink failed = new HadoopDeadLetterSink(uri, "part", "00001-s1-t7", Redactor.defaults());
        failed.write(letter(1));
        failed.write(letter(2));
        assertThat(DeadLetterFiles.read(uri)).as("nothing is visible before the unit commits").isEmpty();
        assertThat(failed.abort()).isEqualTo(2);
        failed.close();
        assertThat(visible(dir.resolve("dlq"))).isEmpty();
        assertThat(DeadLetterFiles.read(uri)).isEmpty();

        try (HadoopDeadLetterSink ok = new HadoopDeadLetterSink(uri, "part", "00001-s1-t8", Redactor.defaults())) {
            for (int i = 0; i < 3; i++) {
                ok.write(letter(i));
            }
            assertThat(DeadLetterFiles.read(uri)).isEmpty();
        }
        assertThat(visible(dir.resolve("dlq"))).containsExactly("part-00001-s1-t8-000001.jsonl");
        List<DeadLetter> read = DeadLetterFiles.read(uri);
        assertThat(read).extracting(DeadLetter::key).containsExactlyInAnyOrder("rk:r:0", "rk:r:1", "rk:r:2");
        assertThat(read).allSatisfy(d -> {
            assertThat(d.verifyChecksum()).isTrue();
            assertThat((String) d.payload()).doesNotContain("hunter2");   // redacted before it is stored
        });
        // the same files through core's reader, as local files
        assertThat(DeadLetterReader.files(dir.resolve("dlq")).readAll()).hasSize(3);
    }

    @Test
    void aRerunOfTheSameWriterNumbersItsFilesOnInsteadOfOverwriting() throws Exception {
        String path = dir.resolve("dlq").toString();   // no scheme: the default (local) file system
        for (int run = 0; run < 2; run++) {
            try (HadoopDeadLetterSink s = new HadoopDeadLetterSink(path, "part", "w", Redactor.defaults())) {
                s.write(letter(run));
            }
        }
        assertThat(visible(dir.resolve("dlq"))).containsExactly("part-w-000001.jsonl", "part-w-000002.jsonl");
        assertThat(DeadLetterFiles.read(path)).hasSize(2);
    }
}
