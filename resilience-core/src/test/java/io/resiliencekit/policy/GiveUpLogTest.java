package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Regression test for the README example's log during its outage: every call that gave up logged a
 * WARN line of its own (hundreds in a 3 s outage at 2,000 calls/s), so the log showed a flood where
 * one line and a count say the same.
 */
class GiveUpLogTest {

    private final ManualTicker ticker = new ManualTicker();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ResiliencePolicy.class);
    private Level levelBefore;

    @BeforeEach
    void capture() {
        logs.start();
        logger.addAppender(logs);
        levelBefore = logger.getLevel();
        logger.setLevel(Level.INFO);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logs);
        logger.setLevel(levelBefore);
    }

    @Test
    void L1_anOutageLogsOneGiveUpWarningPerTenSecondsWithTheCountOfTheOthers() {
        ResiliencePolicy policy = ResiliencePolicy.builder("orders").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(1).build()).build();
        for (int i = 0; i < 100; i++) {
            failOnce(policy);
            ticker.advance(Duration.ofMillis(50));          // 100 give-ups over 5 s
        }
        ticker.advance(Duration.ofSeconds(5));              // 10 s after the first warning
        failOnce(policy);

        List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
            .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(warnings).hasSize(2);
        assertThat(warnings.get(0)).startsWith("policy 'orders' gave up after 1 attempt(s)");
        assertThat(warnings.get(1)).contains("99 more gave up since the last warning");
        assertThat(policy.metrics().failed()).as("every give-up is still counted").isEqualTo(101);
    }

    private static void failOnce(ResiliencePolicy policy) {
        assertThatThrownBy(() -> policy.call(() -> {
            throw new java.io.IOException("down");
        })).isInstanceOf(CallFailedException.class);
    }
}
