package io.resiliencekit.idempotency;

import io.resiliencekit.spi.ClaimResult;

import io.resiliencekit.spi.ClaimResult.Status;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A separate JVM for the multi-JVM tests (started with ProcessBuilder on the test classpath).
 *
 * <pre>
 * race URL TABLE KEYS THREADS   print READY, wait for a line on stdin, claim every key, run the
 *                               action (insert into effects) on NEW, print RESULT counts
 * hold URL TABLE KEY HOLD_MS    claim KEY, print CLAIMED, then hang mid-action until killed
 * </pre>
 */
public final class IdempotencyWorker {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String url = args[1];
        String table = args[2];
        String jvm = ProcessHandle.current().pid() + "";
        if (mode.equals("race")) {
            int keys = Integer.parseInt(args[3]);
            int threads = Integer.parseInt(args[4]);
            try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(url, "postgres", "").table(table)
                .poolSize(threads).build()) {
                Map<Status, AtomicLong> counts = new EnumMap<>(Status.class);
                for (Status s : Status.values()) {
                    counts.put(s, new AtomicLong());
                }
                System.out.println("READY");
                System.out.flush();
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                Thread[] ts = new Thread[threads];
                for (int t = 0; t < threads; t++) {
                    int slot = t;
                    ts[t] = new Thread(() -> {
                        try (Connection effects = DriverManager.getConnection(url, "postgres", "");
                             PreparedStatement insert = effects.prepareStatement("INSERT INTO effects (idem_key, jvm) VALUES (?, ?)")) {
                            String holder = jvm + "-" + slot;
                            for (int i = slot; i < keys; i += threads) {
                                String key = "mjvm:run1:" + i;
                                ClaimResult r = store.claim(key, "fp-" + i, holder, Duration.ofMinutes(1));
                                counts.get(r.status()).incrementAndGet();
                                if (r.status() == Status.NEW) {
                                    insert.setString(1, key); // the action's target counts each run
                                    insert.setString(2, jvm);
                                    insert.executeUpdate();
                                    if (!store.complete(key, r.fencingToken(), ("done-" + i).getBytes(StandardCharsets.UTF_8))) {
                                        throw new IllegalStateException("lost hold on " + key);
                                    }
                                } else if (r.status() == Status.COMPLETED
                                    && !new String(r.outcome(), StandardCharsets.UTF_8).equals("done-" + i)) {
                                    throw new IllegalStateException("wrong outcome for " + key);
                                }
                            }
                        } catch (Exception e) {
                            e.printStackTrace(System.out);
                            System.out.println("FAILED " + e);
                            System.exit(3);
                        }
                    });
                    ts[t].start();
                }
                for (Thread t : ts) {
                    t.join();
                }
                System.out.println("RESULT " + counts.get(Status.NEW) + " " + counts.get(Status.IN_PROGRESS) + " "
                    + counts.get(Status.COMPLETED) + " " + counts.get(Status.MISMATCH));
                System.out.flush();
            }
        } else if (mode.equals("hold")) {
            String key = args[3];
            long holdMs = Long.parseLong(args[4]);
            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(url, "postgres", "").table(table).build();
            ClaimResult r = store.claim(key, "fp", "doomed-" + jvm, Duration.ofMillis(holdMs));
            System.out.println("CLAIMED " + r.status());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE); // mid-action: killed by the test
        } else {
            throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    private IdempotencyWorker() {
    }
}
