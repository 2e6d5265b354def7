package io.resiliencekit.spark.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

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

        assertThat(a.claim("k1", "fp", "task-a", hold).status()).isEqualTo(Status.NEW);
        var busy = b.claim("k1", "fp", "task-b", hold);
        assertThat(busy.status()).isEqualTo(Status.IN_PROGRESS);
        assertThat(busy.holder()).isEqualTo("task-a");
        assertThat(b.claim("k1", "other-fp", "task-b", hold).status()).isEqualTo(Status.MISMATCH);

        assertThat(a.complete("k1", "task-a", "ok-42".getBytes(StandardCharsets.UTF_8))).isTrue();
        var done = b.claim("k1", "fp", "task-b", hold);
        assertThat(done.status()).isEqualTo(Status.COMPLETED);
        assertThat(new String(done.outcome(), StandardCharsets.UTF_8)).isEqualTo("ok-42");

        // a failed action releases its key: the retry elsewhere gets it
        assertThat(a.claim("k2", null, "task-a", hold).status()).isEqualTo(Status.NEW);
        assertThat(a.release("k2", "task-a")).isTrue();
        assertThat(b.claim("k2", null, "task-b", hold).status()).isEqualTo(Status.NEW);

        // a crashed holder's hold expires
        assertThat(a.claim("k3", null, "task-a", hold).status()).isEqualTo(Status.NEW);
        ticker.advance(Duration.ofSeconds(31));
        assertThat(b.claim("k3", null, "task-b", hold).status()).isEqualTo(Status.NEW);
        assertThat(a.complete("k3", "task-a", null)).as("the expired holder lost the key").isFalse();

        assertThat(ledger.hits()).isEqualTo(1);
        assertThat(ledger.keys()).isEqualTo(3);
        assertThat(a.ttl()).isEqualTo(Duration.ofHours(24)).as("ttl() reports this JVM's plugin options (defaults here)");
    }
}
