package io.resiliencekit.spark.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.spi.ClaimResult.Status;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.testing.InProcessCoordinator;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.time.ManualTicker;

/** Two executors' ledger stores over one driver ledger (direct dispatch, virtual time). */
class ClusterLedgerStoreTest {

    final ManualTicker ticker = new ManualTicker(1_700_000_000_000L);
    final DriverServices services = new DriverServices(new MetricRegistry());
    final DriverLedger ledger = DriverLedger.install(services,
            PluginOptions.fromOptions(Map.of(PluginOptions.LEDGER_TTL, "1h")), ticker);

    ClusterLedgerStore store(String executor) {
        ClusterCoordinator c = new InProcessCoordinator(services, executor);
        return new ClusterLedgerStore(c, PluginOptions.defaults().ledgerTtl());   // this JVM's plugin options: none, so defaults
    }

    @Test
    void executorsAgreeOnEveryKeyThroughTheDriver() {
        ClusterLedgerStore a = store("1");
        ClusterLedgerStore b = store("2");
        Duration hold = Duration.ofSeconds(30);

        long t1 = a.claim("k1", "fp", "task-a", hold).fencingToken();
        assertThat(t1).isPositive();
        var busy = b.claim("k1", "fp", "task-b", hold);
        assertThat(busy.status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(busy.holder()).isEqualTo("task-a");
        assertThat(busy.holdRemainingMillis()).as("measured by the driver's clock").isEqualTo(30_000);
        assertThat(b.claim("k1", "other-fp", "task-b", hold).status()).isEqualTo(Status.MISMATCH);

        assertThat(a.complete("k1", t1, "ok-42".getBytes(StandardCharsets.UTF_8))).isTrue();
        var done = b.claim("k1", "fp", "task-b", hold);
        assertThat(done.status()).isEqualTo(Status.COMPLETED);
        assertThat(new String(done.outcome(), StandardCharsets.UTF_8)).isEqualTo("ok-42");

        // a failed action releases its key: the retry elsewhere gets it
        long t2 = a.claim("k2", null, "task-a", hold).fencingToken();
        assertThat(a.release("k2", t2)).isTrue();
        assertThat(b.claim("k2", null, "task-b", hold).status()).isEqualTo(Status.NEW);

        // a holder that lives renews its hold over RPC; a crashed one's hold expires
        long t3 = a.claim("k3", null, "task-a", hold).fencingToken();
        ticker.advance(Duration.ofSeconds(20));
        assertThat(a.renew("k3", t3, hold)).isTrue();
        ticker.advance(Duration.ofSeconds(20));
        assertThat(b.claim("k3", null, "task-b", hold).holdRemainingMillis()).as("renewed 20 s ago").isEqualTo(10_000);
        ticker.advance(Duration.ofSeconds(11));
        var taken = b.claim("k3", null, "task-b", hold);
        assertThat(taken.status()).isEqualTo(Status.NEW);
        assertThat(taken.fencingToken()).isGreaterThan(t3);
        assertThat(a.renew("k3", t3, hold)).as("the stale holder is fenced out").isFalse();
        assertThat(a.complete("k3", t3, null)).as("the expired holder lost the key").isFalse();

        assertThat(ledger.hits()).isEqualTo(1);
        assertThat(ledger.keys()).isEqualTo(3);
        assertThat(ledger.persistent()).isFalse();
        assertThat(a.ttl()).isEqualTo(Duration.ofHours(24)).as("ttl() reports this JVM's plugin options (defaults here)");
    }

    /**
     * spark.resiliencekit.ledger.location=/path: the ledger is an embedded database file, so a second
     * application (a new driver) finds the first one's completed keys.
     */
    @Test
    void aLedgerWithALocationOutlivesItsApplication(@TempDir Path dir) {
        Map<String, String> conf = Map.of(PluginOptions.LEDGER_LOCATION, dir.resolve("ledger").toString());
        DriverServices first = new DriverServices(new MetricRegistry());
        DriverLedger one = DriverLedger.install(first, PluginOptions.fromOptions(conf), ticker);
        assertThat(one.persistent()).isTrue();
        ClusterLedgerStore exec = new ClusterLedgerStore(new InProcessCoordinator(first, "1"), Duration.ofHours(24));
        long t = exec.claim("orders:2026-01-31:o-1", "fp", "task-a", Duration.ofSeconds(30)).fencingToken();
        assertThat(exec.complete("orders:2026-01-31:o-1", t, "receipt".getBytes(StandardCharsets.UTF_8))).isTrue();
        exec.claim("orders:2026-01-31:o-2", "fp", "task-a", Duration.ofSeconds(30)); // held when the driver dies
        one.close();

        DriverServices second = new DriverServices(new MetricRegistry());
        DriverLedger two = DriverLedger.install(second, PluginOptions.fromOptions(conf), ticker);
        try {
            ClusterLedgerStore rerun = new ClusterLedgerStore(new InProcessCoordinator(second, "1"), Duration.ofHours(24));
            var done = rerun.claim("orders:2026-01-31:o-1", "fp", "task-b", Duration.ofSeconds(30));
            assertThat(done.status()).isEqualTo(Status.COMPLETED);
            assertThat(new String(done.outcome(), StandardCharsets.UTF_8)).isEqualTo("receipt");
            assertThat(rerun.claim("orders:2026-01-31:o-2", "fp", "task-b", Duration.ofSeconds(30)).status())
                    .as("a dead application's hold does not make the re-run wait").isEqualTo(Status.NEW);
            assertThat(rerun.claim("orders:2026-01-31:o-3", "fp", "task-b", Duration.ofSeconds(30)).status())
                    .isEqualTo(Status.NEW);
            assertThat(two.hits()).isEqualTo(1);
        } finally {
            two.close();
        }
    }

    @Test
    void aLedgerLocationIsAnAbsolutePathOrAJdbcUrl() {
        assertThatThrownBy(() -> PluginOptions.fromOptions(Map.of(PluginOptions.LEDGER_LOCATION, "relative/ledger")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(PluginOptions.LEDGER_LOCATION);
        assertThatThrownBy(() -> PluginOptions.fromOptions(Map.of(PluginOptions.LEDGER_LOCATION,
                "jdbc:postgresql")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("absolute path");
        PluginOptions pg = PluginOptions.fromOptions(Map.of(PluginOptions.LEDGER_LOCATION,
                "jdbc:postgresql://db/app?user=job&password=s3cret-pw"));
        assertThat(pg.ledgerJdbcUrl()).hasValue("jdbc:postgresql://db/app?user=job&password=s3cret-pw");
        assertThat(pg.toString()).contains("jdbc:postgresql://db/app").doesNotContain("s3cret-pw");
        assertThatThrownBy(() -> PluginOptions.fromOptions(Map.of(PluginOptions.LEDGER_LOCATION,
                "jdbc postgresql://job:s3cret-pw@db/app")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(PluginOptions.LEDGER_LOCATION)
                .hasMessageNotContaining("s3cret-pw");
        assertThat(PluginOptions.fromOptions(Map.of(PluginOptions.LEDGER_LOCATION, "/var/lib/job/ledger")).ledgerJdbcUrl())
                .hasValue("jdbc:h2:file:/var/lib/job/ledger");
        assertThat(PluginOptions.defaults().ledgerLocation()).isEmpty();
    }
}
