package io.resiliencekit.spark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.spark.testing.InProcessCoordinator;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.time.ManualTicker;

/** The lease transport: executor proxy -> plugin service -> in-process authority on the driver. */
class SparkTokenAuthorityTest {

    final ManualTicker ticker = new ManualTicker();
    final MetricRegistry metrics = new MetricRegistry();
    final DriverServices services = new DriverServices(metrics);
    final DriverTokenAuthority driver = DriverTokenAuthority.install(services, PluginOptions.fromOptions(Map.of(
            "spark.resiliencekit.limiter.capped.rate", "10",
            "spark.resiliencekit.limiter.capped.burst", "5")), ticker);
    boolean down;

    SparkTokenAuthority executor(String id) {
        return new SparkTokenAuthority(new InProcessCoordinator(services, id, () -> down));
    }

    static LeaseRequest want(String bucket, String client, double rate, long burst, long wanted) {
        return new LeaseRequest(bucket, client, rate, burst, 1_000_000_000L, 0, wanted, wanted);
    }

    @Test
    void grantsAreDebitedFromOneGlobalBucketForAllExecutors() {
        SparkTokenAuthority a = executor("1");
        SparkTokenAuthority b = executor("2");
        LeaseResponse ra = a.requestLease(want("api", "c1", 100, 20, 15));
        LeaseResponse rb = b.requestLease(want("api", "c2", 100, 20, 15));
        assertThat(ra.grantedTokens() + rb.grantedTokens()).as("never more than the burst at once").isLessThanOrEqualTo(20);
        assertThat(ra.grantedTokens()).isPositive();
        assertThat(rb.knownClients()).isEqualTo(2);
        assertThat(driver.granted("api")).isEqualTo(ra.grantedTokens() + rb.grantedTokens());
        assertThat(metrics.counter("tokens.granted").getCount()).isEqualTo(driver.granted("api"));
        assertThat(metrics.getGauges()).containsKey("limiter.api.granted");
    }

    @Test
    void theSparkConfigurationOverridesTheExecutorsRate() {
        LeaseResponse r = executor("1").requestLease(want("capped", "c1", 1000, 1000, 500));
        assertThat(r.grantedTokens()).as("burst 5 from spark.resiliencekit.limiter.capped.burst").isLessThanOrEqualTo(5);
    }

    @Test
    void anUnreachableDriverIsATokenAuthorityException() {
        down = true;
        assertThatThrownBy(() -> executor("1").requestLease(want("api", "c1", 100, 20, 1)))
                .isInstanceOf(TokenAuthorityException.class)
                .hasMessageContaining("resiliencekit.ratelimit.lease");
    }
}
