package io.resiliencekit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.Redactor;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.spi.IdempotencyStoreException;
import io.resiliencekit.policy.ResilienceRuntime;
import io.resiliencekit.idempotency.JdbcIdempotencyStore;
import io.resiliencekit.ratelimit.JdbcTokenAuthority;
import io.resiliencekit.ratelimit.TokenBucket;
import io.resiliencekit.ratelimit.TokenBucketConfig;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.event.EventPublisher;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Regression tests for the Secrets group of issue 13 (S1, S2, S3, S5; S4 lives with the Spark helpers). */
class SecretDefectsTest {

    static final String SECRET = "Xq9-canary-7Lm";

    private final ResilienceRuntime runtime = ResilienceRuntime.builder().build();

    @AfterEach
    void clear() {
        runtime.close();
    }

    /** Everything a log line with the exception would show: every message and frame of the cause chain. */
    static String printed(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString() + t;
    }

    @Test
    void S1_policyAndIdempotencyToStringHideJdbcUrlCredentials() {
        String url = "jdbc:postgresql://app:" + SECRET + "@db:5432/app?ssl=true&password=" + SECRET;
        IdempotencyConfig idem = IdempotencyConfig.builder().jdbc(url, "app", SECRET).build();
        ResiliencePolicyConfig policy = ResiliencePolicy.builder("p").idempotency(idem).config();
        assertThat(idem.toString()).doesNotContain(SECRET).contains("db:5432/app");
        assertThat(policy.toString()).doesNotContain(SECRET).contains("db:5432/app");
        ResiliencePolicyConfig parsed = ResiliencePolicyConfig.fromOptions(Map.of("name", "p",
            "idempotency.store", "jdbc", "idempotency.url", url));
        assertThat(parsed.toString()).doesNotContain(SECRET);
    }

    @Test
    void S1_tokenBucketToStringHidesUserInfo() {
        TokenBucketConfig t = TokenBucket.builder("a").rate(5).mode(TokenBucketConfig.Mode.LEASED)
            .authority(TokenBucketConfig.AuthorityKind.JDBC)
            .jdbc("jdbc:postgresql://quota:" + SECRET + "@db/q", "quota", "pw-" + SECRET, "t").config();
        assertThat(t.toString()).doesNotContain(SECRET).contains("db/q");
        TokenBucketFactory f = new TokenBucketFactory(t);
        assertThat(f.toString()).doesNotContain(SECRET);
        assertThat(ResiliencePolicy.builder("p").rateLimiter(f).config().toString()).doesNotContain(SECRET);
    }

    /**
     * S1's third channel: the "already registered with another configuration" warning printed both
     * configs. In the runtime of issue 8 that warning is an error naming both (ResilienceRuntime);
     * the configs it names must still hide their credentials.
     */
    @Test
    void S1_alreadyDefinedErrorNamingBothConfigsHidesCredentials() {
        String url = "jdbc:nosuchdb://quota:" + SECRET + "@db/quota?password=" + SECRET;
        TokenBucketFactory limiter = new TokenBucketFactory(TokenBucket.builder("s1").rate(50)
            .mode(TokenBucketConfig.Mode.LEASED).authority(TokenBucketConfig.AuthorityKind.JDBC)
            .jdbc(url, "quota", SECRET, "quota").config());
        runtime.policy(ResiliencePolicy.builder("s1").rateLimiter(limiter)
            .retry(RetryConfig.builder().maxAttempts(2).build()).config());
        Throwable t = catchThrowable(() -> runtime.policy(ResiliencePolicy.builder("s1").rateLimiter(limiter)
            .retry(RetryConfig.builder().maxAttempts(3).build()).config()));
        assertThat(t).isInstanceOf(ConfigException.class).hasMessageContaining("already defined").hasMessageContaining("db/quota");
        assertThat(printed(t)).doesNotContain(SECRET);
    }

    @Test
    void S2_missingDriverOrMistypedUrlKeepsTheUrlSecretsOutOfTheException() {
        for (String url : List.of("jdbc:nosuchdb://app:" + SECRET + "@db/app?password=" + SECRET,
                                  "jdbc:postgresq://db/app?user=app&password=" + SECRET)) {
            Throwable direct = catchThrowable(() -> JdbcIdempotencyStore.builder(url, "app", SECRET).build());
            assertThat(direct).isInstanceOf(IdempotencyStoreException.class);
            assertThat(printed(direct)).doesNotContain(SECRET);

            IdempotencyConfig config = IdempotencyConfig.builder().jdbc(url, "app", SECRET).build();
            Throwable viaConfig = catchThrowable(() -> config.create(runtime, new EventPublisher()));
            assertThat(viaConfig).isNotNull();
            assertThat(printed(viaConfig)).doesNotContain(SECRET);

            Throwable authority = catchThrowable(() -> JdbcTokenAuthority.fromUrl(url, "app", SECRET, "quota",
                new ManualTicker()).requestLease(new LeaseRequest("b", "c", 10, 10, 1_000_000_000L, 0, 10, 0)));
            assertThat(authority).isNotNull();
            assertThat(printed(authority)).doesNotContain(SECRET);
        }
    }

    @Test
    void S3_badIdempotencyUrlIsNotEchoed() {
        for (String url : List.of("postgresql://app:" + SECRET + "@db/app", "jdbc postgresql://db/app?password=" + SECRET)) {
            Throwable parsed = catchThrowable(() -> ResiliencePolicyConfig.fromOptions(Map.of("name", "p",
                "idempotency.store", "jdbc", "idempotency.url", url)));
            assertThat(parsed).isInstanceOf(ConfigException.class).hasMessageContaining("idempotency.url");
            assertThat(printed(parsed)).doesNotContain(SECRET);

            Throwable built = catchThrowable(() -> IdempotencyConfig.builder().jdbc(url, "app", "pw"));
            assertThat(built).isInstanceOf(IllegalArgumentException.class);
            assertThat(printed(built)).doesNotContain(SECRET);
        }
    }

    @Test
    void S3_badHttpBaseUriIsNotEchoed() {
        for (String uri : List.of("https://api.example.com/v1?api_key=" + SECRET,   // query: not allowed
                                  "https://api example.com/v1?api_key=" + SECRET,   // malformed
                                  "https://user:" + SECRET + "@/v1",                // user info without a host
                                  "ftp://user:" + SECRET + "@files.example.com/")) { // not http
            Throwable parsed = catchThrowable(() -> HttpJsonClientConfig.fromOptions(Map.of("http.baseUri", uri), "http."));
            assertThat(parsed).as(uri).isInstanceOf(ConfigException.class).hasMessageContaining("http.baseUri");
            assertThat(printed(parsed)).as(uri).doesNotContain(SECRET);

            Throwable built = catchThrowable(() -> HttpJsonClient.builder().baseUri(uri).buildConfig());
            assertThat(built).as(uri).isInstanceOf(ConfigException.class);
            assertThat(printed(built)).as(uri).doesNotContain(SECRET);
        }
    }

    @Test
    void S5_defaultRedactorScrubsWhatSecretsScrubDoes() {
        List<String> messages = List.of(
            "GET https://bob:" + SECRET + "@api.example.com/x failed",
            "401 with Authorization: Token " + SECRET,
            "login failed for password=" + SECRET + "&user=bob",
            "{\"apiKey\": \"" + SECRET + "\", \"id\": 7}");
        for (String m : messages) {
            DeadLetter raw = DeadLetter.builder().payload(Map.of("note", m)).failure(new IOException(m),
                FailureClassifier.defaults(), 0L).failedAt(1L).build();
            DeadLetter red = Redactor.defaults().redact(raw);
            assertThat(red.toJson()).as(m).doesNotContain(SECRET);
            assertThat(red.message()).isEqualTo(Secrets.scrub(m));
        }
    }
}
