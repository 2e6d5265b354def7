package io.resiliencekit.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.CallContext;
import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.idempotency.LedgerMessages;
import io.resiliencekit.spark.testing.SparkClusters;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Defect 8 of issue 10, the shutdown half: with the plugin on, work that outlives the plugin's
 * shutdown (a task still running while its executor stops: Spark shuts plugins down without waiting
 * for tasks) was told "ResiliencePlugin is not enabled", and a key completed after the driver's
 * ledger had shut down looked like an expired hold. Settings: local[2] with the plugin, defaults.
 */
class PluginShutdownTest {

    @Test
    void Q8_workAfterThePluginShutDownIsNotToldThePluginIsOff() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        AbstractAppender capture = new AbstractAppender("capture-shutdown", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    warnings.add(event.getLoggerName() + " " + event.getMessage().getFormattedMessage());
                }
            }
        };
        capture.start();
        ctx.getConfiguration().getRootLogger().addAppender(capture, Level.WARN, null);
        ctx.updateLoggers();
        ResilienceCluster.resetWarning();
        SparkSession spark = SparkClusters.local("plugin-shutdown", SparkClusters.conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS));
        DriverServices services;
        long token;
        try {
            ResiliencePolicyConfig config = ResiliencePolicy.builder("shutdown-api")
                .idempotency(IdempotencyConfig.builder().build()).config();
            assertThat(ResilienceCluster.policy(config).call(CallContext.ofKey("shutdown:k-0"), () -> "ok")).isEqualTo("ok");
            services = ResilienceCluster.driverServices();
            LedgerMessages.ClaimReply claimed = (LedgerMessages.ClaimReply) services.dispatch("1", LedgerMessages.CLAIM.name(),
                new LedgerMessages.Claim("k-1", "fp", "holder", 300_000));
            token = claimed.fencingToken;
        } finally {
            SparkClusters.stop(spark);
        }
        try {
            // what a task still running in a stopping executor does next
            ResiliencePolicy late = ResilienceCluster.policy(ResiliencePolicy.builder("late-api").config());
            assertThat(late.call(() -> "still works, per JVM")).isEqualTo("still works, per JVM");
            // and its key's completion reaches a ledger that has shut down: said so, not "false" (an expired hold)
            assertThatThrownBy(() -> services.dispatch("1", LedgerMessages.FINISH.name(),
                new LedgerMessages.Finish("k-1", token, true, new byte[] {'V'})))
                .isInstanceOf(ClusterCoordinationException.class).hasMessageContaining("ledger has shut down");
        } finally {
            ctx.getConfiguration().getRootLogger().removeAppender("capture-shutdown");
            ctx.updateLoggers();
        }
        assertThat(warnings).noneMatch(w -> w.contains("ResiliencePlugin is not enabled"));
    }
}
