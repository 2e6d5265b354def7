package io.resiliencekit.idempotency;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Starts a main class of the test classpath in a separate JVM and reads its protocol lines. */
final class Jvms implements AutoCloseable {

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());

    Jvms(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    all.add(line);
                    if (line.matches("^(READY|RESULT|CLAIMED|FAILED|MIDFILE|FLUSHED|IN_ACTION|ATTEMPT|EFFECT|COMPLETE)\\b.*")) {
                        lines.add(line);
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "jvm-reader-" + main.getSimpleName());
        reader.setDaemon(true);
        reader.start();
    }

    /** The next protocol line, failing with the child's output if none comes in time. */
    String expect(String prefix, long timeoutSeconds) throws InterruptedException {
        String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
        if (line == null || !line.startsWith(prefix)) {
            throw new AssertionError("expected '" + prefix + "' from child JVM, got " + line + "; output:\n"
                + String.join("\n", tail()));
        }
        return line;
    }

    void send(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    Process process() {
        return process;
    }

    /** Stops the JVM as a debugger or an overloaded host does (SIGSTOP): every thread, its renewals too. */
    void pause() throws Exception {
        signal("-STOP");
    }

    /** Lets a paused JVM go on (SIGCONT). */
    void resume() throws Exception {
        signal("-CONT");
    }

    private void signal(String which) throws Exception {
        Process kill = new ProcessBuilder("kill", which, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill " + which + " " + process.pid() + " failed");
        }
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private List<String> tail() {
        synchronized (all) {
            return new ArrayList<>(all.subList(Math.max(0, all.size() - 40), all.size()));
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
