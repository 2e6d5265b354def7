package io.resiliencekit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.resiliencekit.CallContext;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.JdbcDeadLetterSink;
import io.resiliencekit.deadletter.JsonLinesDeadLetterSink;
import io.resiliencekit.deadletter.SourcePosition;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.internal.DriverManagerDataSource;
import io.resiliencekit.ratelimit.JdbcTokenAuthority;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.testkit.FlakyApiServer;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.event.EventPublisher;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 13, done-when 3 (core part; the Spark helpers have theirs): one secret, put in every place a
 * user puts one, appears in no {@code toString}, log line, exception, or dead letter. Settings:
 * defaults, with retries shortened to 2 attempts on virtual time so the failing calls end at once.
 */
class SecretCanaryTest {

    static final String CANARY = "Cnry7f3aQz91";

    @TempDir
    Path tmp;

    /** Everything a user or an operator could read. */
    final List<String> shown = new ArrayList<>();
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    final ResilienceRuntime runtime = ResilienceRuntime.builder().build();

    @BeforeEach
    void captureLogs() {
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void release() {
        root.detachAppender(logs);
        runtime.close();
    }

    void see(Object o) {
        shown.add(String.valueOf(o));
    }

    void seeFailure(Throwable t) {
        assertThat(t).isNotNull();
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        shown.add(w.toString());
    }

    static final String JDBC_URL = "jdbc:postgresql://app:" + CANARY + "@127.0.0.1:1/app?ssl=false&password=" + CANARY;

    Map<String, String> policyOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", "canary");
        m.put("retry.maxAttempts", "2");
        m.put("idempotency.store", "jdbc");
        m.put("idempotency.url", JDBC_URL);                      // user info and a password parameter
        m.put("idempotency.user", "app");
        m.put("idempotency.password", CANARY);                   // an option named like a secret
        m.put("rateLimit.rate", "50");
        m.put("rateLimit.mode", "leased");
        m.put("rateLimit.authority", "jdbc");
        m.put("rateLimit.jdbc.url", "jdbc:nosuchdb://quota:" + CANARY + "@db/q;password=" + CANARY);
        m.put("rateLimit.jdbc.password", CANARY);
        return m;
    }

    @Test
    void theCanaryAppearsInNoToStringLogLineExceptionOrDeadLetter() throws Exception {
        // ---- options: parsed, echoed back, and rejected ----
        ResiliencePolicyConfig config = ResiliencePolicyConfig.fromOptions(policyOptions());
        see(config);
        see(config.idempotency().orElseThrow());
        see(config.rateLimiter().orElseThrow());
        Map<String, String> bad = new HashMap<>(policyOptions());
        bad.put("idempotency.url", "postgresql://app:" + CANARY + "@db/app");     // malformed: no jdbc: prefix
        bad.put("idempotency.password", CANARY + "\u0000");                        // invalid secret value
        bad.put("retry.apiKey", CANARY);                                           // unknown, named like a secret
        bad.put("rateLimit.jdbc.url", "jdbc postgresql://db/q?password=" + CANARY);
        seeFailure(catchThrowable(() -> ResiliencePolicyConfig.fromOptions(bad)));
        seeFailure(catchThrowable(() -> IdempotencyConfig.builder().jdbc("postgres://app:" + CANARY + "@db/app", "app", CANARY)));

        Map<String, String> http = new HashMap<>();
        http.put("http.baseUri", "https://user:" + CANARY + "@api.example.com/v1");  // user:pass@ in a URL
        http.put("http.header.Authorization", "Bearer " + CANARY);                   // HTTP headers
        http.put("http.header.X-Api-Key", CANARY);
        http.put("http.header.Cookie", "session=" + CANARY);
        HttpJsonClientConfig httpConfig = HttpJsonClientConfig.fromOptions(http, "http.");
        see(httpConfig);
        see(HttpJsonClient.create(httpConfig));
        http.put("http.baseUri", "https://api.example.com/v1?api_key=" + CANARY);     // a query on the base URI
        seeFailure(catchThrowable(() -> HttpJsonClientConfig.fromOptions(http, "http.")));
        http.put("http.baseUri", "https://user:" + CANARY + "@/v1");                  // user info without a host
        seeFailure(catchThrowable(() -> HttpJsonClientConfig.fromOptions(http, "http.")));

        // ---- JDBC components on those URLs: a refused connection, a missing driver ----
        seeFailure(catchThrowable(() -> config.idempotency().orElseThrow().create(runtime, new EventPublisher())));
        seeFailure(catchThrowable(() -> JdbcTokenAuthority.fromUrl("jdbc:nosuchdb://quota:" + CANARY + "@db/q", "quota",
            CANARY, "quota", new ManualTicker()).requestLease(new LeaseRequest("b", "c", 10, 10, 1_000_000_000L, 0, 10, 0))));
        see(new DriverManagerDataSource(JDBC_URL, "app", CANARY));

        // ---- a call that fails with the secret in its message, over real HTTP ----
        ResiliencePolicy policy = ResiliencePolicy.builder("canary-call").ticker(new ManualTicker())
            .retry(RetryConfig.builder().maxAttempts(2).noBudget().build()).build();
        Throwable callFailure;
        try (FlakyApiServer api = FlakyApiServer.builder().start()) {
            HttpJsonClient client = HttpJsonClient.builder().baseUri(api.baseUri())
                .header("Authorization", "Bearer " + CANARY).build();
            see(client);
            // an unknown path answers 404: permanent, and the query (an api key) must not be quoted
            seeFailure(catchThrowable(() -> policy.call(CallContext.ofKey("k-1"),
                () -> client.get("/nowhere?api_key=" + CANARY))));
            callFailure = catchThrowable(() -> policy.call(() -> {
                throw new IOException("401 for Authorization: Bearer " + CANARY + "; password=" + CANARY
                    + "; via https://bob:" + CANARY + "@proxy.example.com");
            }));
        }
        // the cause is the caller's own exception, handed back as it is (its type matters to callers);
        // what the policy adds, message and toString, is scrubbed
        assertThat(callFailure).isNotNull().hasCauseInstanceOf(IOException.class);
        see(callFailure.getMessage());
        see(callFailure);
        see(policy);

        // ---- dead letters: record fields named like secrets, and the failure above ----
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("id", 7);
        record.put("password", CANARY);
        record.put("customer", Map.of("apiKey", CANARY, "name", "Ada"));
        record.put("note", "retry with token=" + CANARY);
        DeadLetter letter = DeadLetter.builder().key("canary:run-1:7").payload(record).failure(callFailure)
            .failedAt(1_000L).source(SourcePosition.builder().run("run-1").partition(0).offset(7L).build()).build();
        see(letter);
        try (JsonLinesDeadLetterSink files = JsonLinesDeadLetterSink.builder(tmp.resolve("dlq")).build()) {
            see(files.write(letter).toJson());
        }
        try (Stream<Path> s = Files.list(tmp.resolve("dlq"))) {
            for (Path f : s.toList()) {
                shown.add(Files.readString(f));
            }
        }
        DriverManagerDataSource h2 = new DriverManagerDataSource("jdbc:h2:mem:canary;DB_CLOSE_DELAY=-1", "sa", "");
        try (JdbcDeadLetterSink table = JdbcDeadLetterSink.builder(h2).table("canary_dlq").build()) {
            table.write(letter);
        }
        try (Connection c = h2.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM canary_dlq")) {
            while (rs.next()) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    shown.add(rs.getString(i));
                }
            }
        }

        // ---- every log line written meanwhile, with its stack trace ----
        assertThat(logs.list).as("the failing calls were logged").isNotEmpty();
        for (ILoggingEvent e : logs.list) {
            shown.add(e.getFormattedMessage());
            if (e.getThrowableProxy() != null) {
                shown.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
            }
        }

        assertThat(shown).hasSizeGreaterThan(20).allSatisfy(s -> assertThat(s).doesNotContain(CANARY));
        // not vacuous: the places were really there, masked
        assertThat(String.join("\n", shown)).contains(Secrets.MASK, "idempotency.password", "Authorization",
            "127.0.0.1:1/app", "api.example.com", "\"password\":\"****\"");
    }
}
