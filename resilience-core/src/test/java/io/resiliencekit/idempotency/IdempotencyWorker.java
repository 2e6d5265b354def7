package io.resiliencekit.idempotency;

import io.resiliencekit.CallContext;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.time.Ticker;

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
 * hold URL TABLE KEY HOLD_MS [OFFSET_MS]
 *                               claim KEY (on a clock set OFFSET_MS apart), print CLAIMED, then hang
 *                               mid-action until killed
 * stall URL TABLE KEY HOLD_MS STALL_MS OFFSET_MS
 *                               policy.call with a JDBC idempotency store on a clock set OFFSET_MS apart:
 *                               the action prints IN_ACTION, stalls STALL_MS, records its effect in
 *                               effects, returns "A"; prints RESULT and the outcome
 * retry URL TABLE KEY HOLD_MS   policy.call with 3 attempts 2 s apart: attempt 1 prints ATTEMPT 1 and fails,
 *                               later ones record their effect; prints RESULT ok or RESULT HOLD_LOST
 * fenced URL TABLE KEY HOLD_MS  the guard's Claim by hand: prints CLAIMED token, waits for a line, writes its
 *                               effect to a target that checks fencing tokens (EFFECT accepted|refused),
 *                               then completes (COMPLETE true|false)
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
            Ticker clock = offsetClock(args.length > 5 ? Long.parseLong(args[5]) : 0L);
            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(url, "postgres", "").table(table).ticker(clock)
                .build();
            ClaimResult r = store.claim(key, "fp", "doomed-" + jvm, Duration.ofMillis(holdMs));
            System.out.println("CLAIMED " + r.status());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE); // mid-action: killed by the test
        } else if (mode.equals("stall")) {
            String key = args[3];
            Duration hold = Duration.ofMillis(Long.parseLong(args[4]));
            long stallMs = Long.parseLong(args[5]);
            ResilienceRuntime runtime = ResilienceRuntime.builder().ticker(offsetClock(Long.parseLong(args[6]))).build();
            ResiliencePolicy policy = runtime.policy(ResiliencePolicy.builder("orders").idempotency(idem(url, table, hold))
                .config());
            String out = policy.call(CallContext.ofKey(key, "fp"), () -> {
                System.out.println("IN_ACTION");
                System.out.flush();
                Thread.sleep(stallMs); // a slow call: longer than the hold, many times over
                effect(url, key, jvm);
                return "A";
            });
            System.out.println("RESULT " + out);
            System.out.flush();
            runtime.close();
        } else if (mode.equals("retry")) {
            String key = args[3];
            Duration hold = Duration.ofMillis(Long.parseLong(args[4]));
            ResilienceRuntime runtime = ResilienceRuntime.builder().build();
            ResiliencePolicy policy = runtime.policy(ResiliencePolicy.builder("orders")
                .retry(RetryConfig.builder().maxAttempts(3).backoff(Duration.ofSeconds(2), 1.0, Duration.ofSeconds(2))
                    .jitter(Jitter.NONE).noBudget().build())
                .idempotency(idem(url, table, hold)).config());
            AtomicLong attempts = new AtomicLong();
            String out;
            try {
                out = policy.call(CallContext.ofKey(key, "fp"), () -> {
                    long n = attempts.incrementAndGet();
                    System.out.println("ATTEMPT " + n);
                    System.out.flush();
                    if (n == 1) {
                        throw new java.io.IOException("connection reset"); // retried after 2 s
                    }
                    effect(url, key, jvm);
                    return "ok";
                });
            } catch (IdempotencyHoldLostException e) {
                out = "HOLD_LOST";
            }
            System.out.println("RESULT " + out);
            System.out.flush();
            runtime.close();
        } else if (mode.equals("fenced")) {
            String key = args[3];
            Duration hold = Duration.ofMillis(Long.parseLong(args[4]));
            ResilienceRuntime runtime = ResilienceRuntime.builder().build();
            IdempotencyGuard guard = idem(url, table, hold).create(runtime, null);
            IdempotencyGuard.Claim claim = guard.open("orders", CallContext.ofKey(key, "fp"));
            for (long wait = claim.tryClaim(); wait != IdempotencyGuard.Claim.CLAIMED; wait = claim.tryClaim()) {
                Thread.sleep(Math.max(1, wait / 1_000_000));
            }
            System.out.println("CLAIMED " + claim.fencingToken());
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            boolean accepted = fencedEffect(url, key, claim.fencingToken(), jvm);
            System.out.println("EFFECT " + (accepted ? "accepted" : "refused"));
            System.out.println("COMPLETE " + claim.complete("A"));
            System.out.flush();
            runtime.close();
        } else {
            throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    /** The guard of every mode: the store on the test's PostgreSQL, the hold the test chose, defaults otherwise. */
    static IdempotencyConfig idem(String url, String table, Duration hold) {
        return IdempotencyConfig.builder().jdbc(url, "postgres", "").table(table).hold(hold).build();
    }

    /** The action's effect: one row per run of the action, counted by the test. */
    static void effect(String url, String key, String jvm) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
             PreparedStatement insert = c.prepareStatement("INSERT INTO effects (idem_key, jvm) VALUES (?, ?)")) {
            insert.setString(1, key);
            insert.setString(2, jvm);
            insert.executeUpdate();
        }
    }

    /**
     * An effect at a target that checks fencing tokens, as the fencing-token pattern asks of it: it
     * takes a write only with a token at least as large as any it saw for the key.
     */
    static boolean fencedEffect(String url, String key, long token, String jvm) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            c.setAutoCommit(false);
            try (PreparedStatement fence = c.prepareStatement("INSERT INTO fence (idem_key, token) VALUES (?, ?)"
                + " ON CONFLICT (idem_key) DO UPDATE SET token = EXCLUDED.token WHERE fence.token <= EXCLUDED.token");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO effects (idem_key, jvm) VALUES (?, ?)")) {
                fence.setString(1, key);
                fence.setLong(2, token);
                if (fence.executeUpdate() != 1) {
                    c.rollback();
                    return false;
                }
                insert.setString(1, key);
                insert.setString(2, jvm);
                insert.executeUpdate();
                c.commit();
                return true;
            }
        }
    }

    /** This JVM's clock set {@code offsetMillis} apart from the others' (as a badly synchronised host's is). */
    static Ticker offsetClock(long offsetMillis) {
        if (offsetMillis == 0) {
            return Ticker.system();
        }
        return new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public long epochMillis() {
                return System.currentTimeMillis() + offsetMillis;
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                Ticker.system().sleepNanos(nanos);
            }
        };
    }

    private IdempotencyWorker() {
    }
}
