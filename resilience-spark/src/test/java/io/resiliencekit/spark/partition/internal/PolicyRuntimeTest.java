package io.resiliencekit.spark.partition.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.retry.RetryConfig;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The warning when a policy name is already registered in this JVM with other options (no Spark job). */
class PolicyRuntimeTest {

    private final List<LogEvent> warnings = new CopyOnWriteArrayList<>();
    private final Logger logger = (Logger) LogManager.getLogger(PolicyRuntime.class);
    private final AbstractAppender capture = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true,
        Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
            if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                warnings.add(event.toImmutable());
            }
        }
    };

    @BeforeEach
    void capture() {
        capture.start();
        logger.addAppender(capture);
    }

    @AfterEach
    void release() {
        logger.removeAppender(capture);
        capture.stop();
    }

    static ResiliencePolicyConfig config(String name, int maxAttempts) {
        return ResiliencePolicy.builder(name).retry(RetryConfig.builder().maxAttempts(maxAttempts).build()).config();
    }

    @Test
    void warnsOnceWhenTheNameIsRegisteredWithOtherOptions() {
        String name = "pr-warn-" + UUID.randomUUID().toString().substring(0, 8);
        ResiliencePolicy first = PolicyRuntime.resolve(config(name, 3));
        PolicyRuntime.resolve(config(name, 3));                 // same options, shipped again: silent
        assertThat(warnings).isEmpty();

        ResiliencePolicy second = PolicyRuntime.resolve(config(name, 7));
        assertThat(second).isSameAs(first);                     // the registered runtime wins
        assertThat(warnings).singleElement().satisfies(e -> assertThat(e.getMessage().getFormattedMessage())
            .contains("policy '" + name + "' was already registered", "distinct policy names"));

        PolicyRuntime.resolve(config(name, 7));                 // every partition of the job: still one warning
        assertThat(warnings).hasSize(1);
        PolicyRuntime.resolve(config(name, 9));                 // yet other options: warned again
        assertThat(warnings).hasSize(2);
    }

    @Test
    void distinctNamesDoNotWarn() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        PolicyRuntime.resolve(config("pr-a-" + suffix, 3));
        PolicyRuntime.resolve(config("pr-b-" + suffix, 7));
        assertThat(warnings).isEmpty();
    }
}
