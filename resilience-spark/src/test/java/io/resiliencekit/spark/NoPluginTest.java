package io.resiliencekit.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.spark.testing.SparkClusters;

/** Without the plugin: per-executor operation and exactly one warning; with bad options: no start. */
class NoPluginTest {

    @Test
    void withoutThePluginCodeFallsBackAndWarnsOnce() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLoggerName().equals(ResilienceCluster.class.getName())) {
                    warnings.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
                }
            }
        };
        capture.start();
        ctx.getConfiguration().getRootLogger().addAppender(capture, Level.WARN, null);
        ctx.updateLoggers();
        ResilienceCluster.resetWarning();
        SparkSession spark = SparkClusters.local("no-plugin", java.util.Map.of());
        try {
            List<Boolean> present = new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext())
                    .parallelize(List.of(1, 2, 3, 4, 5, 6), 6)
                    .map(i -> ResilienceCluster.coordinatorOrWarn("test component " + i).isPresent())
                    .collect();
            assertThat(present).containsOnly(false);
            assertThatThrownBy(ResilienceCluster::driverServices).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("spark.plugins");
        } finally {
            SparkClusters.stop(spark);
            ctx.getConfiguration().getRootLogger().removeAppender("capture");
            ctx.updateLoggers();
        }
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).startsWith("WARN ResiliencePlugin is not enabled")
                .contains("spark.plugins=io.resiliencekit.spark.ResiliencePlugin")
                .contains("no global rate").contains("no shared circuit breaker")
                .contains("no application-wide idempotency ledger");
    }

    @Test
    void badPluginOptionsStopTheApplicationWithEveryProblem() {
        assertThatThrownBy(() -> SparkClusters.local("bad-options", SparkClusters.conf(
                "spark.plugins", ResilienceCluster.PLUGIN_CLASS,
                "spark.resiliencekit.rpc.threads", "many",
                "spark.resiliencekit.ledger.ttl", "0s")))
                .satisfies(e -> {
                    Throwable t = e;
                    while (t != null && !(t instanceof ConfigException)) {
                        t = t.getCause();
                    }
                    assertThat(t).as("ConfigException in the cause chain of " + e).isNotNull();
                    assertThat(((ConfigException) t).problems()).hasSize(2);
                });
        SparkClusters.stop(null);
        assertThat(ResilienceCluster.isPluginActive()).isFalse();
    }
}
