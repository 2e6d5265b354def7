package io.resiliencekit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.testkit.DownMode;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.testkit.FlakyApiServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HttpJsonClient against a real HTTP server with injected faults. */
class HttpJsonClientTest {

    private static final String TOKEN = "Bearer s3cr3t-t0k3n";

    private static HttpJsonClient client(FlakyApiServer s) {
        return HttpJsonClient.builder().baseUri(s.baseUri()).header("Authorization", TOKEN)
            .requestTimeout(Duration.ofSeconds(5)).build();
    }

    private static FailureKind kindOf(Throwable t) {
        return FailureClassifier.defaults().classify(t, System.currentTimeMillis()).kind();
    }

    @Test
    void returnsTheBodyOn2xxAndSendsConfiguredHeaders() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().requireHeader("Authorization", TOKEN).start()) {
            assertThat(client(s).post("/records", "{\"id\":\"r-1\"}")).isEqualTo("{\"id\":\"r-1\",\"effect\":1}");
            assertThat(client(s).get("health")).isEqualTo("{\"status\":\"up\"}");
            assertThat(s.effectsPerRecordId()).containsExactly(Map.entry("r-1", 1));

            HttpJsonClient noAuth = HttpJsonClient.builder().baseUri(s.baseUri()).build();
            assertThatThrownBy(() -> noAuth.get("/health")).isInstanceOfSatisfying(HttpStatusException.class,
                e -> assertThat(e.status()).isEqualTo(401));
        }
    }

    @Test
    void badRequestIsAPermanentHttpStatusExceptionWithoutBodyOrSecrets() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().poisonIds("bad").start()) {
            HttpJsonClient c = client(s);
            assertThatThrownBy(() -> c.post("/records?api_key=zzz-secret", "{\"id\":\"bad\"}", "k-1"))
                .isInstanceOfSatisfying(HttpStatusException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.retryAfter()).isNull();
                    assertThat(e.getMessage()).isEqualTo("HTTP 400 from POST /records")
                        .doesNotContain("zzz-secret").doesNotContain("s3cr3t").doesNotContain("invalid record");
                    assertThat(kindOf(e)).isEqualTo(FailureKind.PERMANENT);
                });
            assertThat(s.faultCount(Fault.POISON)).isEqualTo(1);
        }
    }

    @Test
    void tooManyRequestsCarriesRetryAfterAndIsThrottled() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().rateLimit(0.1, 1).start()) {
            HttpJsonClient c = client(s);
            c.post("/records", "{\"id\":\"a\"}");
            assertThatThrownBy(() -> c.post("/records", "{\"id\":\"b\"}"))
                .isInstanceOfSatisfying(HttpStatusException.class, e -> {
                    assertThat(e.status()).isEqualTo(429);
                    assertThat(Integer.parseInt(e.retryAfter())).isBetween(1, 10); // one token per 10 s
                    assertThat(kindOf(e)).isEqualTo(FailureKind.THROTTLED);
                });
        }
    }

    @Test
    void resetSurfacesAsATransientIOException() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().failFirst(1, Fault.RESET).start()) {
            HttpJsonClient c = client(s);
            assertThatThrownBy(() -> c.post("/records", "{\"id\":\"a\"}")).isInstanceOfSatisfying(IOException.class, e -> {
                assertThat(e).isNotInstanceOf(HttpTimeoutException.class);
                assertThat(kindOf(e)).isEqualTo(FailureKind.TRANSIENT);
            });
            assertThat(c.post("/records", "{\"id\":\"a\"}")).contains("\"effect\":1");
        }
    }

    @Test
    void slowResponseHitsTheRequestTimeout() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().failFirst(1, Fault.SLOW).slowDelay(Duration.ofSeconds(3)).start()) {
            HttpJsonClient c = HttpJsonClient.builder().baseUri(s.baseUri()).requestTimeout(Duration.ofMillis(200)).build();
            assertThatThrownBy(() -> c.post("/records", "{\"id\":\"a\"}"))
                .isInstanceOfSatisfying(HttpTimeoutException.class, e -> assertThat(kindOf(e)).isEqualTo(FailureKind.TRANSIENT));
        }
    }

    @Test
    void serverDownIsConnectExceptionOr503() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            HttpJsonClient c = client(s);
            s.down(DownMode.REFUSE_CONNECTIONS);
            assertThatThrownBy(() -> c.get("/health")).isInstanceOf(ConnectException.class);
            s.up();
            s.down(DownMode.SERVICE_UNAVAILABLE);
            assertThatThrownBy(() -> c.get("/health")).isInstanceOfSatisfying(HttpStatusException.class,
                e -> assertThat(e.status()).isEqualTo(503));
            s.up();
            assertThat(c.get("/health")).contains("up");
        }
    }

    @Test
    void idempotencyKeyIsForwardedAndTheServerDeduplicates() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            HttpJsonClient c = client(s);
            String first = c.post("/records", "{\"id\":\"r\"}", "key-r");
            String second = c.post("/records", "{\"id\":\"r\"}", "key-r");
            assertThat(second).isEqualTo(first);
            assertThat(s.duplicateKeysSeen()).isEqualTo(1);
            assertThat(s.effectsPerKey()).containsExactly(Map.entry("key-r", 1));
            assertThat(s.acceptedCount()).isEqualTo(1);
            // without a key the server cannot tell, and counts two effects
            c.post("/records", "{\"id\":\"q\"}");
            c.post("/records", "{\"id\":\"q\"}");
            assertThat(s.effectsPerRecordId()).containsEntry("q", 2);
        }
    }

    @Test
    void secretsNeverInToStringAndUserInfoMasked() {
        HttpJsonClient c = HttpJsonClient.builder().baseUri("https://user:pa55@api.example.com/v1")
            .header("Authorization", TOKEN).header("X-Api-Key", "k3y").header("X-Trace", "visible").build();
        assertThat(c.toString()).doesNotContain("s3cr3t").doesNotContain("k3y").doesNotContain("pa55")
            .contains("Authorization=****").contains("X-Api-Key=****").contains("X-Trace=visible")
            .contains("https://****@api.example.com/v1");
        assertThatThrownBy(() -> c.uri("https://evil.example.com/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.uri("/a b?api_key=zzz")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageNotContaining("zzz");
        assertThat(c.uri("orders").toString()).isEqualTo("https://user:pa55@api.example.com/v1/orders");
    }

    @Test
    void builderReportsAllProblemsAtOnce() {
        assertThatThrownBy(() -> HttpJsonClient.builder().baseUri("ftp://x").connectTimeout(Duration.ZERO)
            .requestTimeout(null).header("Host", "h").header("Bad Name", "v").header("X-Token", "a\nb").build())
            .isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.problems()).hasSize(6);
                assertThat(e.getMessage()).contains("baseUri:", "connectTimeout:", "requestTimeout:", "'Host'",
                    "'Bad Name'", "'X-Token' must have a value without line breaks");
            });
        assertThatThrownBy(() -> HttpJsonClient.builder().build()).isInstanceOf(ConfigException.class)
            .hasMessageContaining("baseUri: is required");
    }

    @Test
    void configRoundTripsThroughOptionsAndReportsEveryProblem() {
        HttpJsonClientConfig c = HttpJsonClient.builder().baseUri("http://127.0.0.1:1/api")
            .connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofMillis(1500))
            .header("Authorization", TOKEN).buildConfig();
        Map<String, String> opts = c.toOptions("sink.http.");
        assertThat(opts).containsEntry("sink.http.header.Authorization", TOKEN)
            .containsEntry("sink.http.requestTimeout", "1500ms");
        assertThat(HttpJsonClientConfig.fromOptions(opts, "sink.http.")).isEqualTo(c);

        assertThatThrownBy(() -> HttpJsonClientConfig.fromOptions(Map.of(
                "sink.http.requestTimeout", "soon",
                "sink.http.conectTimeout", "1s",
                "sink.http.header.Authorization", "Bearer x\ny"), "sink.http."))
            .isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.problems()).hasSize(4);
                assertThat(e.getMessage()).contains("sink.http.baseUri: is required", "sink.http.requestTimeout",
                    "sink.http.conectTimeout: unknown option", "'Authorization' must have a value without line breaks")
                    .doesNotContain("Bearer");
            });
    }

    @Test
    void clientSerializesAsItsConfigAndSharesTheJvmHttpClient() throws Exception {
        try (FlakyApiServer s = FlakyApiServer.builder().start()) {
            HttpJsonClient c = client(s);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(c);
            }
            HttpJsonClient copy;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                copy = (HttpJsonClient) in.readObject();
            }
            assertThat(copy.config()).isEqualTo(c.config());
            assertThat(copy.httpClient()).isSameAs(c.httpClient());
            assertThat(copy.post("/records", "{\"id\":\"z\"}")).contains("\"z\"");
            assertThat(copy.httpClient().connectTimeout()).hasValue(HttpJsonClientConfig.DEFAULT_CONNECT_TIMEOUT);
        }
    }
}
