package io.resiliencekit.ratelimit;

import io.resiliencekit.policy.ResilienceRuntime;

import io.resiliencekit.spi.RateLimiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import io.resiliencekit.time.ManualTicker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TokenBucketConfigTest {

    private final ResilienceRuntime runtime = ResilienceRuntime.builder().ticker(new ManualTicker()).build();

    @AfterEach
    void clear() {
        runtime.close();
    }

    @Test
    void parsesOptions_andRoundTripsThroughToOptions() {
        Map<String, String> m = Map.of("rateLimit.name", "orders-api", "rateLimit.rate", "250",
            "rateLimit.burst", "50", "rateLimit.mode", "leased", "rateLimit.authority", "jdbc",
            "rateLimit.jdbc.url", "jdbc:postgresql://db/q", "rateLimit.jdbc.user", "app",
            "rateLimit.jdbc.password", "hunter2", "rateLimit.leasePeriod", "2s", "rateLimit.expectedClients", "4");
        TokenBucketConfig c = TokenBucketConfig.parse(m, "rateLimit.");
        assertThat(c.rate()).isEqualTo(250);
        assertThat(c.burst()).isEqualTo(50);
        assertThat(c.mode()).isEqualTo(TokenBucketConfig.Mode.LEASED);
        assertThat(c.authority()).isEqualTo(TokenBucketConfig.AuthorityKind.JDBC);
        assertThat(c.leasePeriod()).hasSeconds(2);
        assertThat(c.expectedClients()).isEqualTo(4);
        assertThat(c.jdbcTable()).isEqualTo(TokenBucketConfig.DEFAULT_TABLE);
        assertThat(TokenBucketConfig.parse(c.toOptions("x."), "x.")).isEqualTo(c);
    }

    @Test
    void defaults_burstIsOneSecondOfRate() {
        TokenBucketConfig c = TokenBucketConfig.parse(Map.of("rate", "12.5"), "");
        assertThat(c.burst()).isEqualTo(13);
        assertThat(c.mode()).isEqualTo(TokenBucketConfig.Mode.AUTO); // was LOCAL: the default is now cluster-aware (issue 8)
    }

    @Test
    void reportsEveryProblemAtOnce_withoutLeakingThePassword() {
        Map<String, String> m = new HashMap<>();
        m.put("rl.rate", "-3");
        m.put("rl.burst", "zero");
        m.put("rl.mode", "global");
        m.put("rl.authority", "jdbc");
        m.put("rl.jdbc.table", "quota; DROP TABLE x");
        m.put("rl.jdbc.password", "hunter2");
        m.put("rl.leasePeriod", "1ms");
        m.put("rl.brust", "5");
        assertThatThrownBy(() -> TokenBucketConfig.parse(m, "rl."))
            .isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.problems()).hasSize(6);
                assertThat(String.join("\n", e.problems()))
                    .contains("rl.rate", "rl.burst", "rl.mode", "rl.jdbc.table", "rl.leasePeriod", "rl.brust")
                    .doesNotContain("hunter2");
            });
        m.put("rl.mode", "leased");
        m.remove("rl.brust");
        assertThatThrownBy(() -> TokenBucketConfig.parse(m, "rl."))
            .hasMessageContaining("rl.jdbc.url: is required");
    }

    @Test
    void toStringMasksSecrets() {
        TokenBucketConfig c = TokenBucket.builder("a").rate(5).mode(TokenBucketConfig.Mode.LEASED)
            .authority(TokenBucketConfig.AuthorityKind.JDBC)
            .jdbc("jdbc:postgresql://db/q?user=u&password=hunter2", "u", "hunter2", "t").config();
        assertThat(c.toString()).doesNotContain("hunter2").contains("jdbc.password=****");
    }

    @Test
    void builderValidatesAllProblems() {
        assertThatThrownBy(() -> TokenBucket.builder("bad name!").rate(0).burst(0).config())
            .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(3));
    }

    @Test
    void factoryIsSerializable_andYieldsTheSameLimiterForTheSameName() throws Exception {
        TokenBucketFactory f = RateLimiters.fromOptions(Options.of(Map.of("rateLimit.name", "shared",
            "rateLimit.rate", "100")), "rateLimit.");
        TokenBucketFactory copy = roundTrip(f);
        RateLimiter a = f.create(runtime);
        RateLimiter b = copy.create(runtime);
        assertThat(a).isSameAs(b).isInstanceOf(TokenBucket.class);
        assertThat(roundTrip(f.config())).isEqualTo(f.config());
    }

    @Test
    void leasedInProcessFactory_createsALeasedBucket() {
        RateLimiter l = RateLimiters.fromOptions(Map.of("name", "leased-one", "rate", "100", "mode", "leased"), "")
            .create(runtime);
        assertThat(l).isInstanceOf(LeasedTokenBucket.class);
        assertThat(l.name()).isEqualTo("leased-one");
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void rateAuto_parsesWithAnOptionalCeiling_roundTrips_andRefusesWhatCannotWork() {
        TokenBucketConfig c = TokenBucketConfig.parse(Map.of("rate", "Auto", "maxRate", "800"), "");
        assertThat(c.adaptive()).isTrue();
        assertThat(c.rate()).as("the ceiling").isEqualTo(800);
        assertThat(c.burst()).as("0: one second of the rate found").isZero();
        assertThat(c.throttleScope()).isEqualTo(TokenBucketConfig.ThrottleScope.BUCKET);
        assertThat(TokenBucketConfig.parse(c.toOptions("p."), "p.")).isEqualTo(c);
        assertThat(TokenBucketConfig.parse(Map.of("rate", "auto"), "").rate()).isEqualTo(TokenBucketConfig.MAX_RATE);
        assertThat(c.toString()).contains("rate=auto");
        assertThatThrownBy(() -> TokenBucketConfig.parse(Map.of("rate", "auto", "mode", "local", "throttleScope", "jvm"), ""))
            .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2)
                .anySatisfy(p -> assertThat(p).startsWith("mode: local cannot be used with rate=auto"))
                .anySatisfy(p -> assertThat(p).startsWith("throttleScope: jvm cannot be used with rate=auto")));
        assertThatThrownBy(() -> TokenBucketConfig.parse(Map.of("rate", "100", "maxRate", "200", "burst", "0"), ""))
            .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                "maxRate: has no effect unless rate is auto",
                "burst: must be between 1 and 1000000000000000, was '0'"));
    }
}
