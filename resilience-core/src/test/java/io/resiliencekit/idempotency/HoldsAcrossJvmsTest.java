package io.resiliencekit.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.CallContext;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.spi.IdempotencyGuard;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Done-when 1 of issue 11: holds across JVMs on a real PostgreSQL, with a holder JVM that stalls,
 * is stopped (SIGSTOP, as a debugger or an overloaded host stops it) past its hold, or runs on a clock
 * set ten minutes apart. The effects are counted in the database the actions write to.
 *
 * <p>Settings: a hold of 1.5 s instead of the default 5 minutes, so that a hold expires (or would,
 * without renewal) within the test; waiting callers poll every 50-200 ms instead of 50 ms-2 s, so
 * they notice within the test's time. Everything else is the default.
 */
class HoldsAcrossJvmsTest {

    static final long HOLD_MS = 1_500;
    static final Duration HOLD = Duration.ofMillis(HOLD_MS);
    static final String TABLE = "idem_jvms";
    private static final AtomicInteger KEYS = new AtomicInteger();
    private static EmbeddedPostgres pg;
    private static String url;

    private final ResilienceRuntime runtime = ResilienceRuntime.builder().build();
    private final IdempotencyConfig config = IdempotencyConfig.builder().jdbc(url(), "postgres", "").table(TABLE)
        .hold(HOLD).poll(Duration.ofMillis(50), Duration.ofMillis(200)).maxWait(Duration.ofSeconds(30)).build();

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = EmbeddedPostgres.start();
        url = pg.getJdbcUrl("postgres", "postgres");
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effects (idem_key VARCHAR(255) NOT NULL, jvm VARCHAR(64) NOT NULL)");
            s.execute("CREATE TABLE fence (idem_key VARCHAR(255) PRIMARY KEY, token BIGINT NOT NULL)");
        }
        JdbcIdempotencyStore.builder(pg.getPostgresDatabase()).table(TABLE).build().close();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @AfterEach
    void closeRuntime() {
        runtime.close();
    }

    private static String url() {
        return url;
    }

    private static String newKey() {
        return "jvms:run-1:order-" + KEYS.incrementAndGet();
    }

    private ResiliencePolicy policy() {
        return runtime.policy(ResiliencePolicy.builder("orders").idempotency(config).config());
    }

    private static long effects(String key) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM effects WHERE idem_key = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * A holder whose action stalls for more than three holds keeps its key, because its JVM renews the
     * hold in the background; the other JVM waits and gets its outcome. Also with the holder's clock
     * ten minutes behind: expiry is the database's business, not the holder's clock's.
     */
    @ParameterizedTest(name = "holder clock offset {0} ms")
    @ValueSource(longs = {0L, -600_000L})
    void aLiveHolderKeepsItsKeyThroughAStalledAction(long offsetMillis) throws Exception {
        String key = newKey();
        try (Jvms holder = new Jvms(IdempotencyWorker.class, "stall", url, TABLE, key, Long.toString(HOLD_MS), "5000",
            Long.toString(offsetMillis))) {
            holder.expect("IN_ACTION", 60);
            long start = System.nanoTime();
            AtomicInteger ranHere = new AtomicInteger();
            String out = policy().call(CallContext.ofKey(key, "fp"), () -> {
                ranHere.incrementAndGet();
                IdempotencyWorker.effect(url, key, "test-jvm");
                return "B";
            });
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(holder.expect("RESULT", 60)).isEqualTo("RESULT A");
            System.out.printf("stalled holder (clock %+d ms): the other JVM waited %d ms for its outcome%n",
                offsetMillis, waitedMs);
            assertThat(out).as("the holder's outcome").isEqualTo("A");
            assertThat(ranHere).hasValue(0);
            assertThat(waitedMs).as("waited for the holder, well past its first hold").isGreaterThan(3 * HOLD_MS);
        }
        assertThat(effects(key)).as("exactly one effect").isEqualTo(1);
    }

    /**
     * A holder stopped between two attempts (its renewals stopped with it) past its hold: the other JVM
     * takes the key over and makes the effect; when the stopped JVM goes on, it starts no further
     * attempt (IdempotencyHoldLostException), so there is one effect.
     */
    @Test
    void aHolderStoppedBetweenAttemptsStartsNoAttemptOnceItsHoldWasTakenOver() throws Exception {
        String key = newKey();
        try (Jvms holder = new Jvms(IdempotencyWorker.class, "retry", url, TABLE, key, Long.toString(HOLD_MS))) {
            holder.expect("ATTEMPT 1", 60);
            holder.pause();   // in its 2 s backoff
            try {
                String out = policy().call(CallContext.ofKey(key, "fp"), () -> {
                    IdempotencyWorker.effect(url, key, "test-jvm");
                    return "B";
                });
                assertThat(out).isEqualTo("B");
                Thread.sleep(2_500); // the stopped holder's backoff has long ended when it goes on
            } finally {
                holder.resume();
            }
            assertThat(holder.expect("RESULT", 60)).isEqualTo("RESULT HOLD_LOST");
        }
        assertThat(effects(key)).as("exactly one effect: the new holder's").isEqualTo(1);
        assertThat(policy().call(CallContext.ofKey(key, "fp"), () -> "again")).isEqualTo("B");
    }

    /**
     * A holder stopped in the middle of its action past its hold, while another JVM takes the key
     * over: the stale holder's effect is refused by a target that checks fencing tokens, and its
     * completion by the store, so the new holder's effect and outcome are the only ones.
     */
    @Test
    void aHolderStoppedMidActionIsFencedOutAtTheTargetAndAtTheStore() throws Exception {
        String key = newKey();
        try (Jvms holder = new Jvms(IdempotencyWorker.class, "fenced", url, TABLE, key, Long.toString(HOLD_MS))) {
            long staleToken = Long.parseLong(holder.expect("CLAIMED", 60).substring("CLAIMED ".length()));
            holder.pause();
            long newToken;
            try {
                IdempotencyGuard guard = config.create(runtime, null);
                IdempotencyGuard.Claim claim = guard.open("orders", CallContext.ofKey(key, "fp"));
                for (long wait = claim.tryClaim(); wait != IdempotencyGuard.Claim.CLAIMED; wait = claim.tryClaim()) {
                    Thread.sleep(Math.max(1, wait / 1_000_000));
                }
                newToken = claim.fencingToken();
                claim.checkHeld();
                assertThat(IdempotencyWorker.fencedEffect(url, key, newToken, "test-jvm")).isTrue();
                assertThat(claim.complete("B")).isTrue();
            } finally {
                holder.resume();
            }
            holder.send("GO");
            assertThat(newToken).as("the takeover's token is larger").isGreaterThan(staleToken);
            assertThat(holder.expect("EFFECT", 60)).isEqualTo("EFFECT refused");
            assertThat(holder.expect("COMPLETE", 60)).as("the stale completion is rejected").isEqualTo("COMPLETE false");
        }
        assertThat(effects(key)).as("exactly one effect").isEqualTo(1);
        assertThat(policy().call(CallContext.ofKey(key, "fp"), () -> "again")).as("the new holder's outcome stands")
            .isEqualTo("B");
    }

    /**
     * A holder on a clock ten minutes behind or ahead claims a key and dies: the other JVM takes it
     * over once the hold has passed on the database's clock, as with equal clocks; not at once
     * (clock behind) and not ten minutes later (clock ahead).
     */
    @ParameterizedTest(name = "holder clock offset {0} ms")
    @ValueSource(longs = {-600_000L, 600_000L})
    void aDeadHoldersHoldEndsByTheDatabaseClockWhateverItsOwnClock(long offsetMillis) throws Exception {
        String key = newKey();
        AtomicLong startedAt = new AtomicLong();
        long claimedAt;
        try (Jvms holder = new Jvms(IdempotencyWorker.class, "hold", url, TABLE, key, Long.toString(HOLD_MS),
            Long.toString(offsetMillis))) {
            assertThat(holder.expect("CLAIMED", 60)).isEqualTo("CLAIMED NEW");
            claimedAt = System.nanoTime();
            holder.kill();
        }
        String out = policy().call(CallContext.ofKey(key, "fp"), () -> {
            startedAt.set(System.nanoTime());
            IdempotencyWorker.effect(url, key, "test-jvm");
            return "B";
        });
        long afterMs = (startedAt.get() - claimedAt) / 1_000_000;
        System.out.printf("dead holder (clock %+d ms): taken over %d ms after its claim (hold %d ms)%n", offsetMillis,
            afterMs, HOLD_MS);
        assertThat(out).isEqualTo("B");
        assertThat(afterMs).as("not before the hold ended").isGreaterThan(HOLD_MS - 500);
        assertThat(afterMs).as("nor much after").isLessThan(HOLD_MS + 5_000);
        assertThat(effects(key)).isEqualTo(1);
    }
}
