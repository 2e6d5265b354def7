package io.resiliencekit.idempotency;

import io.resiliencekit.event.EventPublisher;

import io.resiliencekit.policy.ResilienceRuntime;

import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.IdempotencyGuardFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.CallContext;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import io.resiliencekit.time.Ticker;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdempotencyOptionsTest {

    private final ResilienceRuntime runtime = ResilienceRuntime.builder().build();

    @AfterEach
    void cleanRegistry() {
        runtime.close();
    }

    @Test
    void parsesEveryOptionAndRoundTrips() {
        Map<String, String> m = new HashMap<>();
        m.put("idem.store", "jdbc");
        m.put("idem.url", "jdbc:postgresql://db:5432/app");
        m.put("idem.user", "app");
        m.put("idem.password", "hunter2");
        m.put("idem.table", "app.payments_idem");
        m.put("idem.poolSize", "8");
        m.put("idem.hold", "90s");
        m.put("idem.ttl", "7d");
        m.put("idem.inProgress", "fail");
        m.put("idem.maxWait", "3m");
        m.put("idem.pollInitial", "20ms");
        m.put("idem.pollMax", "1s");
        m.put("idem.cacheFailures", "true");
        m.put("other.thing", "ignored");
        IdempotencyConfig c = IdempotencyOptions.fromOptions(Options.of(m), "idem.");
        assertThat(c.storeKind()).isEqualTo(IdempotencyConfig.StoreKind.JDBC);
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/app");
        assertThat(c.table()).isEqualTo("app.payments_idem");
        assertThat(c.poolSize()).isEqualTo(8);
        assertThat(c.hold()).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.ttl()).isEqualTo(Duration.ofDays(7));
        assertThat(c.inProgress()).isEqualTo(InProgressMode.FAIL);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMinutes(3));
        assertThat(c.pollInitial()).isEqualTo(Duration.ofMillis(20));
        assertThat(c.cacheFailures()).isTrue();
        assertThat(IdempotencyConfig.fromOptions(Options.of(c.toOptions("x.")), "x.")).isEqualTo(c);
        assertThat(c.toString()).doesNotContain("hunter2").contains("password=****");
    }

    @Test
    void defaultsAreMemoryWaitFiveMinuteHold() {
        IdempotencyConfig c = IdempotencyOptions.fromOptions(Options.of(Map.of()), "idem.");
        assertThat(c.storeKind()).isEqualTo(IdempotencyConfig.StoreKind.AUTO); // was MEMORY: the default is now cluster-aware (issue 8)
        assertThat(c.hold()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.maxWait()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.inProgress()).isEqualTo(InProgressMode.WAIT);
        assertThat(IdempotencyConfig.fromOptions(Options.of(c.toOptions("i.")), "i.")).isEqualTo(c);
    }

    @Test
    void reportsEveryProblemAtOnceWithoutSecrets() {
        Map<String, String> m = new HashMap<>();
        m.put("idem.store", "jdbc");
        m.put("idem.table", "x;drop");
        m.put("idem.hold", "soon");
        m.put("idem.inProgress", "maybe");
        m.put("idem.pollInitial", "2s");
        m.put("idem.pollMax", "1s");
        m.put("idem.passwrd", "s3cret-value");
        m.put("idem.password", "p@ss");
        assertThatThrownBy(() -> IdempotencyOptions.fromOptions(Options.of(m), "idem."))
            .isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.problems()).hasSize(6);
                assertThat(e.problems()).anyMatch(p -> p.startsWith("idem.url: is required"));
                assertThat(e.problems()).anyMatch(p -> p.startsWith("idem.table:"));
                assertThat(e.problems()).anyMatch(p -> p.startsWith("idem.hold:"));
                assertThat(e.problems()).anyMatch(p -> p.startsWith("idem.inProgress:"));
                assertThat(e.problems()).anyMatch(p -> p.startsWith("idem.pollMax:"));
                assertThat(e.problems()).anyMatch(p -> p.startsWith("idem.passwrd: unknown option"));
                assertThat(e.getMessage()).doesNotContain("s3cret-value").doesNotContain("p@ss");
            });
        assertThatThrownBy(() -> IdempotencyOptions.fromOptions(Options.of(Map.of("idem.store", "redis")), "idem."))
            .hasMessageContaining("idem.store: must be one of [auto, memory, cluster, jdbc], was 'redis'");
    }

    @Test
    void configIsSerializableAndGuardsOfOneJvmShareTheStore() throws Exception {
        IdempotencyConfig c = IdempotencyConfig.builder().memory("orders").hold(Duration.ofSeconds(30)).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        IdempotencyGuardFactory copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (IdempotencyGuardFactory) in.readObject();
        }
        assertThat(copy).isEqualTo(c);
        IdempotencyGuard a = c.create(runtime, new EventPublisher());
        IdempotencyGuard b = copy.create(runtime, new EventPublisher());
        assertThat(a.execute("p", CallContext.ofKey("o:1:a"), () -> "first")).isEqualTo("first");
        assertThat(b.execute("p", CallContext.ofKey("o:1:a"), () -> "second")).isEqualTo("first");
        assertThat(((DefaultIdempotencyGuard) a).store()).isSameAs(((DefaultIdempotencyGuard) b).store());
    }

    @Test
    void customStoresAreBuiltPerJvmByASerializableFactory() throws Exception {
        IdempotencyConfig c = IdempotencyConfig.builder()
            .store("h2-local", ctx -> JdbcIdempotencyStore.builder("jdbc:h2:mem:custom;DB_CLOSE_DELAY=-1", "sa", "").ticker(ctx.ticker()).build())
            .build();
        IdempotencyGuard g = c.create(runtime, new EventPublisher());
        assertThat(g.execute("p", CallContext.ofKey("c:1:x"), () -> 1)).isEqualTo(1);
        assertThat(c.create(runtime, new EventPublisher()).execute("p", CallContext.ofKey("c:1:x"), () -> 2)).isEqualTo(1);
        assertThat(((DefaultIdempotencyGuard) g).store()).isInstanceOf(JdbcIdempotencyStore.class);
    }
}
