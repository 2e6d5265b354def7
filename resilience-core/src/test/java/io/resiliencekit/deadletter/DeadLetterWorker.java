package io.resiliencekit.deadletter;

import java.nio.file.Path;

/**
 * A separate JVM that writes dead letters: {@code DIR FLUSHED_COUNT EXTRA_COUNT} writes and
 * flushes the first letters (prints FLUSHED), writes more into the next file (prints MIDFILE),
 * then hangs until it is killed.
 */
public final class DeadLetterWorker {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int flushed = Integer.parseInt(args[1]);
        int extra = Integer.parseInt(args[2]);
        JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).writerId("worker").build();
        for (int i = 0; i < flushed; i++) {
            sink.write(Samples.letter(i));
        }
        sink.flush();
        System.out.println("FLUSHED " + flushed);
        System.out.flush();
        for (int i = flushed; i < flushed + extra; i++) {
            sink.write(Samples.letter(i));
        }
        System.out.println("MIDFILE " + extra);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private DeadLetterWorker() {
    }
}
