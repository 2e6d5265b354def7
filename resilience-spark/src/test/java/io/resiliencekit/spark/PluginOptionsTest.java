package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.PluginOptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.resiliencekit.config.ConfigException;

class PluginOptionsTest {

    @Test
    void defaults() {
        PluginOptions o = PluginOptions.defaults();
        assertThat(o.rpcThreads()).isEqualTo(2);
        assertThat(o.breakerPollInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(o.breakerHalfOpenTrials()).isZero();
        assertThat(o.breakerTrialTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.ledgerMaxKeys()).isEqualTo(1_000_000);
        assertThat(o.ledgerTtl()).isEqualTo(Duration.ofHours(24));
        assertThat(o.limiters()).isEmpty();
    }

    @Test
    void parsesLimitersAndIgnoresOtherSparkKeys() {
        PluginOptions o = PluginOptions.fromOptions(Map.of(
                "spark.master", "local[2]",
                "spark.resiliencekit.limiter.orders-api.rate", "250",
                "spark.resiliencekit.limiter.orders-api.burst", "50",
                "spark.resiliencekit.limiter.search.rate", "2.5",
                "spark.resiliencekit.breaker.halfOpenTrials", "3"));
        assertThat(o.limiters()).containsOnlyKeys("orders-api", "search");
        assertThat(o.limiters().get("orders-api").ratePerSecond()).isEqualTo(250.0);
        assertThat(o.limiters().get("orders-api").burst()).isEqualTo(50);
        assertThat(o.limiters().get("search").burst()).as("default burst: one second of rate").isEqualTo(3);
        assertThat(o.breakerHalfOpenTrials()).isEqualTo(3);
        assertThat(PluginOptions.fromOptions(o.toOptions())).isEqualTo(o);
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> PluginOptions.fromOptions(Map.of(
                "spark.resiliencekit.rpc.threads", "0",
                "spark.resiliencekit.breaker.pollInterval", "soon",
                "spark.resiliencekit.ledger.maxKeys", "-5",
                "spark.resiliencekit.limiter.api.burst", "10",
                "spark.resiliencekit.limiter.db.rate", "fast",
                "spark.resiliencekit.breaker.halfOpenTrails", "2")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "spark.resiliencekit.rpc.threads: must be between 1 and 64, was '0'",
                        "spark.resiliencekit.breaker.pollInterval: must be a duration such as 250ms, 2s, 5m or PT2S, was 'soon'",
                        "spark.resiliencekit.ledger.maxKeys: must be between 1 and 1000000000, was '-5'",
                        "spark.resiliencekit.limiter.api.rate: is required when spark.resiliencekit.limiter.api.burst is set",
                        "spark.resiliencekit.limiter.db.rate: must be a number, was 'fast'",
                        "spark.resiliencekit.breaker.halfOpenTrails: unknown option (did you mean spark.resiliencekit.breaker.halfOpenTrials?)"));
    }

    @Test
    void rateAuto_withAnOptionalCeiling_roundTrips_andMaxRateNeedsAuto() {
        PluginOptions o = PluginOptions.fromOptions(Map.of("spark.resiliencekit.limiter.api.rate", "AUTO",
                "spark.resiliencekit.limiter.api.maxRate", "500", "spark.resiliencekit.limiter.open.rate", "auto"));
        PluginOptions.LimiterSpec api = o.limiters().get("api");
        assertThat(api.adaptive()).isTrue();
        assertThat(api.ratePerSecond()).isEqualTo(500);
        assertThat(api.burst()).as("0: one second of the rate found").isZero();
        assertThat(o.limiters().get("open").ratePerSecond()).isEqualTo(PluginOptions.LimiterSpec.UNBOUNDED);
        assertThat(PluginOptions.fromOptions(o.toOptions())).isEqualTo(o);
        assertThatThrownBy(() -> PluginOptions.fromOptions(Map.of("spark.resiliencekit.limiter.db.rate", "100",
                "spark.resiliencekit.limiter.db.maxRate", "200", "spark.resiliencekit.limiter.db.burst", "0",
                "spark.resiliencekit.limiter.x.maxRate", "5")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "spark.resiliencekit.limiter.db.maxRate: is only for spark.resiliencekit.limiter.db.rate=auto"
                                + " (a fixed rate is its own maximum)",
                        "spark.resiliencekit.limiter.db.burst: must be between 1 and 2305843009213693951, was '0'",
                        "spark.resiliencekit.limiter.x.rate: is required when spark.resiliencekit.limiter.x.maxRate is set"));
    }
}
