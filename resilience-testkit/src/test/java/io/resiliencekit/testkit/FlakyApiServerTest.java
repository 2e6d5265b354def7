package io.resiliencekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every fault, seen through a real JDK HttpClient. */
class FlakyApiServerTest {

    // HTTP/1.1 and a fresh client per test: a pooled connection would blur which request saw what.
    private final HttpClient client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();

    private static final ExecutorService POOL = Executors.newFixedThreadPool(8);

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    private HttpResponse<String> post(FlakyApiServer s, String id, String key) throws Exception {
        return post(s, id, key, Duration.ofSeconds(5));
    }

    private HttpResponse<String> post(FlakyApiServer s, String id, String key, Duration timeout) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.recordsUri())
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"amount\":1}"));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthyByDefault() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            assertThat(s.baseUri().getHost()).isEqualTo("127.0.0.1");
            assertThat(s.port()).isPositive();
            HttpResponse<String> r = post(s, "r-1", null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"id\":\"r-1\",\"effect\":1}");
            assertThat(get(s.baseUri().resolve("/health")).statusCode()).isEqualTo(200);
            assertThat(get(s.baseUri().resolve("/nope")).statusCode()).isEqualTo(404);
            assertThat(get(s.recordsUri()).statusCode()).isEqualTo(405);
            assertThat(s.receivedCount()).isEqualTo(1);
            assertThat(s.acceptedCount()).isEqualTo(1);
            assertThat(s.rejectedCount()).isZero();
            assertThat(s.healthCheckCount()).isEqualTo(1);
            assertThat(s.effectsPerRecordId()).containsExactly(Map.entry("r-1", 1));
            assertThat(s.acceptedPerSecond()).containsExactly(1);
        }
    }

    @Test
    void recordIdFromHeaderWinsOverBody() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            HttpRequest req = HttpRequest.newBuilder(s.recordsUri())
                .header("X-Record-Id", "from-header")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"from-body\"}")).build();
            assertThat(client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(s.effectsPerRecordId()).containsOnlyKeys("from-header");
        }
        assertThat(FlakyApiServer.idFromJson("{\"a\":{\"b\":1}, \"id\" : 42}")).isEqualTo("42");
        assertThat(FlakyApiServer.idFromJson("{\"id\":\"a\\\"b\"}")).isEqualTo("a\\\"b");
        assertThat(FlakyApiServer.idFromJson("{\"name\":\"x\"}")).isNull();
    }

    @Test
    void failFirstServerWideWith503() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().failFirst(2, Fault.UNAVAILABLE)
            .unavailableRetryAfter(Duration.ofSeconds(3)).start()) {
            HttpResponse<String> first = post(s, "a", null);
            assertThat(first.statusCode()).isEqualTo(503);
            assertThat(first.headers().firstValue("Retry-After")).hasValue("3");
            assertThat(post(s, "b", null).statusCode()).isEqualTo(503);
            assertThat(post(s, "a", null).statusCode()).isEqualTo(200);
            assertThat(post(s, "b", null).statusCode()).isEqualTo(200);
            assertThat(s.faultCount(Fault.UNAVAILABLE)).isEqualTo(2);
            assertThat(s.acceptedCount()).isEqualTo(2);
            assertThat(s.receivedCount()).isEqualTo(4);
        }
    }

    @Test
    void resetIsAnIOExceptionOnTheClient() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().failFirstPerKey(1, Fault.RESET).start()) {
            for (String id : List.of("x", "y")) {
                assertThatThrownBy(() -> post(s, id, null)).isInstanceOf(IOException.class)
                    .isNotInstanceOf(HttpTimeoutException.class);
                assertThat(post(s, id, null).statusCode()).isEqualTo(200);
            }
            assertThat(s.faultCount(Fault.RESET)).isEqualTo(2);
            assertThat(s.attemptsPerKey()).containsExactlyInAnyOrderEntriesOf(Map.of("x", 2, "y", 2));
            assertThat(s.effectsPerKey()).containsExactlyInAnyOrderEntriesOf(Map.of("x", 1, "y", 1));
        }
    }

    @Test
    void slowResponseTimesOutTheClientButTheEffectHappenedAndAKeyedRetryIsReplayed() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().failFirst(1, Fault.SLOW).slowDelay(Duration.ofSeconds(3)).start()) {
            assertThatThrownBy(() -> post(s, "r", "k-1", Duration.ofMillis(200)))
                .isInstanceOf(HttpTimeoutException.class);
            HttpResponse<String> retry = post(s, "r", "k-1");
            assertThat(retry.statusCode()).isEqualTo(200);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(retry.body()).isEqualTo("{\"id\":\"r\",\"effect\":1}");
            assertThat(s.faultCount(Fault.SLOW)).isEqualTo(1);
            assertThat(s.rejectedCount()).isZero();
            assertThat(s.acceptedCount()).isEqualTo(1);
            assertThat(s.duplicateKeysSeen()).isEqualTo(1);
            assertThat(s.effectsPerKey()).containsExactly(Map.entry("k-1", 1));
        }
    }

    @Test
    void slowRetryWithoutKeyDuplicatesTheEffect() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().failFirst(1, Fault.SLOW).slowDelay(Duration.ofSeconds(3)).start()) {
            assertThatThrownBy(() -> post(s, "r", null, Duration.ofMillis(200))).isInstanceOf(HttpTimeoutException.class);
            assertThat(post(s, "r", null).statusCode()).isEqualTo(200);
            assertThat(s.effectsPerRecordId()).containsExactly(Map.entry("r", 2));
            assertThat(s.duplicateEffectCount()).isEqualTo(1);
        }
    }

    @Test
    void downForComesBackAndTheTimeUpIsCounted() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().downMode(DownMode.SERVICE_UNAVAILABLE).start()) {
            assertThat(post(s, "a", null).statusCode()).isEqualTo(200);
            assertThat(s.firstDownAt()).isEmpty();
            s.downFor(Duration.ofMillis(300));
            assertThat(post(s, "b", null).statusCode()).isEqualTo(503);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!s.isUp() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(s.isUp()).isTrue();
            assertThat(post(s, "c", null).statusCode()).isEqualTo(200);
            assertThat(s.downTime()).isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
            assertThat(s.firstDownAt()).isPresent();
            assertThat(s.receivedCount()).isEqualTo(3);
            assertThat(s.receivedWhileUp()).as("the 503 came while down").isEqualTo(2);
            assertThat(s.activeTime()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
    }

    @Test
    void acceptedThenResetAppliesTheEffectAndLosesTheAnswer() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().seed(11).randomAcceptedThenReset(0.5).start()) {
            int lost = 0;
            for (int i = 0; i < 40; i++) {
                String key = "k-" + i;
                try {
                    assertThat(post(s, "r-" + i, key).statusCode()).isEqualTo(200);
                } catch (IOException answerLost) {
                    lost++;
                    // the keyed retry finds the effect done (or loses that answer too, and tries again)
                    for (int again = 0; again < 20; again++) {
                        try {
                            assertThat(post(s, "r-" + i, key).statusCode()).isEqualTo(200);
                            break;
                        } catch (IOException lostAgain) {
                            // drawn again for this key's next attempt
                        }
                    }
                }
            }
            assertThat(lost).isBetween(8, 32);
            assertThat(s.faultCount(Fault.ACCEPTED_THEN_RESET)).isGreaterThanOrEqualTo(lost);
            assertThat(s.effectsPerRecordId()).hasSize(40).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
            assertThat(s.duplicateKeysSeen()).isGreaterThanOrEqualTo(lost);
        }
    }

    @Test
    void randomSlowDelaysAboutTheRequestedShare() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().seed(3).randomSlow(0.5, Duration.ofMillis(30)).start()) {
            int slow = 0;
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                assertThat(post(s, "id-" + i, null).statusCode()).isEqualTo(200);
                if (System.nanoTime() - t0 >= 30_000_000L) {
                    slow++;
                }
            }
            // every slow-marked response really waited; fast ones may be slow too on a busy machine
            assertThat(slow).isGreaterThanOrEqualTo((int) s.faultCount(Fault.SLOW));
            assertThat(s.faultCount(Fault.SLOW)).isBetween(3L, 17L);
            assertThat(s.acceptedCount()).isEqualTo(20);
        }
    }

    @Test
    void rateLimitAnswers429WithRetryAfter() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().rateLimit(2, 3).start()) {
            long t0 = System.nanoTime();
            int ok = 0;
            int limited = 0;
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = post(s, "id-" + i, null);
                if (r.statusCode() == 200) {
                    ok++;
                } else {
                    assertThat(r.statusCode()).isEqualTo(429);
                    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
                    limited++;
                }
            }
            double elapsedSeconds = (System.nanoTime() - t0) / 1e9;
            assertThat(ok).isGreaterThanOrEqualTo(3).isLessThanOrEqualTo(3 + (int) Math.ceil(2 * elapsedSeconds));
            assertThat(ok + limited).isEqualTo(10);
            assertThat(s.faultCount(Fault.RATE_LIMITED)).isEqualTo(limited);
            assertThat(s.maxAcceptedInWindow(Duration.ofSeconds(1))).isLessThanOrEqualTo(2 + 3);
            assertThat(s.maxInWindow(Duration.ofSeconds(10))).isEqualTo(10);
        }
    }

    @Test
    void randomFaultsAreReproducibleFromTheSeedPerRecordAttempt() throws Exception {
        Set<String> first = failedIds(7, false);
        assertThat(first.size()).isBetween(25, 95); // p = 0.3 of 200
        assertThat(failedIds(7, true)).isEqualTo(first); // other order, same faults
        assertThat(failedIds(8, false)).isNotEqualTo(first);
    }

    private Set<String> failedIds(long seed, boolean reversed) throws Exception {
        Set<String> failed = new TreeSet<>();
        try (FlakyApiServer s = FlakyApiServer.builder().seed(seed).randomUnavailable(0.3).start()) {
            for (int i = 0; i < 200; i++) {
                String id = "id-" + (reversed ? 199 - i : i);
                if (post(s, id, null).statusCode() == 503) {
                    failed.add(id);
                }
            }
            assertThat(s.faultCount(Fault.UNAVAILABLE)).isEqualTo(failed.size());
        }
        return failed;
    }

    @Test
    void poisonRecordsAlwaysGet400() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().poisonIds("bad").poisonIf(id -> id.startsWith("x-")).start()) {
            for (int i = 0; i < 3; i++) {
                assertThat(post(s, "bad", null).statusCode()).isEqualTo(400);
            }
            assertThat(post(s, "x-1", "key").statusCode()).isEqualTo(400);
            assertThat(post(s, "good", null).statusCode()).isEqualTo(200);
            assertThat(s.faultCount(Fault.POISON)).isEqualTo(4);
            assertThat(s.effectsPerRecordId()).containsOnlyKeys("good");
        }
    }

    @Test
    void downRefusingConnectionsThenUpOnTheSamePort() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            URI base = s.baseUri();
            assertThat(post(s, "a", null).statusCode()).isEqualTo(200);
            s.down();
            assertThat(s.isUp()).isFalse();
            assertThatThrownBy(() -> post(s, "b", null)).isInstanceOf(ConnectException.class);
            s.up();
            assertThat(s.baseUri()).isEqualTo(base);
            assertThat(post(s, "b", null).statusCode()).isEqualTo(200);
            assertThat(s.receivedCount()).isEqualTo(2);
        }
    }

    @Test
    void downAnswering503ThenUp() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            s.down(DownMode.SERVICE_UNAVAILABLE);
            assertThat(post(s, "a", null).statusCode()).isEqualTo(503);
            assertThat(get(s.baseUri().resolve("/health")).statusCode()).isEqualTo(503);
            s.up();
            assertThat(post(s, "a", null).statusCode()).isEqualTo(200);
            assertThat(s.faultCount(Fault.UNAVAILABLE)).isEqualTo(1);
        }
    }

    @Test
    void idempotencyKeyDeduplicatesAndRejectsReuseWithAnotherBody() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            HttpResponse<String> a = post(s, "r", "k");
            HttpResponse<String> b = post(s, "r", "k");
            assertThat(b.body()).isEqualTo(a.body());
            assertThat(a.headers().firstValue("Idempotent-Replayed")).isEmpty();
            assertThat(b.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(post(s, "other", "k").statusCode()).isEqualTo(422);
            assertThat(s.acceptedCount()).isEqualTo(1);
            assertThat(s.duplicateKeysSeen()).isEqualTo(1);
            assertThat(s.faultCount(Fault.KEY_REUSED)).isEqualTo(1);
            assertThat(s.effectsPerKey()).containsExactly(Map.entry("k", 1));
            // a retry under a new key (the classic bug: key includes the attempt number) is a duplicate effect
            post(s, "r", "k-attempt-2");
            assertThat(s.effectsPerRecordId()).containsExactly(Map.entry("r", 2));
            assertThat(s.duplicateEffectCount()).isEqualTo(1);
        }
    }

    @Test
    void concurrentClientsWithRetriesGetExactlyOnceWithKeys() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().seed(11).randomResets(0.1).randomUnavailable(0.1).start()) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(POOL.submit(() -> {
                    int failures = 0;
                    for (int i = 0; i < 40; i++) {
                        String id = "t" + thread + "-" + i;
                        while (true) {
                            try {
                                if (post(s, id, "key-" + id).statusCode() == 200) {
                                    break;
                                }
                            } catch (IOException e) {
                                // reset: retry
                            }
                            failures++;
                        }
                    }
                    return failures;
                }));
            }
            int failures = 0;
            for (Future<Integer> f : futures) {
                failures += f.get(60, TimeUnit.SECONDS);
            }
            assertThat(s.acceptedCount()).isEqualTo(320);
            assertThat(s.effectsPerKey()).hasSize(320).allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
            assertThat(s.duplicateEffectCount()).isZero();
            assertThat(failures).isPositive();
            assertThat(s.faultCount(Fault.RESET) + s.faultCount(Fault.UNAVAILABLE)).isEqualTo(failures);
            assertThat(s.receivedCount()).isEqualTo(320 + failures);
            assertThat(Arrays.stream(s.receivedPerSecond()).sum()).isEqualTo(s.receivedCount());
            assertThat(Arrays.stream(s.acceptedPerSecond()).sum()).isEqualTo(320);
        }
    }

    @Test
    void requiredHeaderGuardsRecordsAndHealth() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().requireHeader("Authorization", "Bearer ok").start()) {
            assertThat(post(s, "a", null).statusCode()).isEqualTo(401);
            assertThat(get(s.baseUri().resolve("/health")).statusCode()).isEqualTo(401);
            HttpRequest req = HttpRequest.newBuilder(s.recordsUri()).header("Authorization", "Bearer ok")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"a\"}")).build();
            assertThat(client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(s.faultCount(Fault.UNAUTHORIZED)).isEqualTo(2);
            assertThat(s.acceptedCount()).isEqualTo(1);
        }
    }

    @Test
    void builderReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> FlakyApiServer.builder().failFirst(-1, Fault.POISON).randomUnavailable(1.5)
            .rateLimit(0, 0).slowDelay(Duration.ZERO).build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("failFirst: k must be >= 0")
            .hasMessageContaining("failFirst: fault must be UNAVAILABLE, RESET or SLOW, was POISON")
            .hasMessageContaining("randomUnavailable: probability")
            .hasMessageContaining("rateLimit: permitsPerSecond")
            .hasMessageContaining("rateLimit: burst")
            .hasMessageContaining("slowDelay");
    }

    @Test
    void closeIsIdempotentAndRefusesRestart() {
        FlakyApiServer s = FlakyApiServer.builder().start();
        s.close();
        s.close();
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(s::down).isInstanceOf(IllegalStateException.class);
    }
}
