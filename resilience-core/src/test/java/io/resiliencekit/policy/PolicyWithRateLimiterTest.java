package io.resiliencekit.policy;

import io.resiliencekit.RateLimitedException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rate limiter inside the composed policy, on virtual time. */
class PolicyWithRateLimiterTest {

    private final ManualTicker ticker = new ManualTicker();

    @AfterEach
    void forgetLimiters() {
        // each policy here is built with build(): a runtime of its own, so nothing to forget
    }

    @Test
    void callsBeyondTheBurstWaitForPermitsOnTheTicker() {
        ResiliencePolicy p = ResiliencePolicy.builder("limited").ticker(ticker)
            .rateLimiter(RateLimiters.local("limited-" + System.nanoTime(), 10, 10)).build();
        for (int i = 0; i < 30; i++) {
            p.call(() -> "ok");
        }
        // 10 from the burst, then 20 more at 10/s: about 2 s of waiting, never less
        assertThat(Duration.ofNanos(ticker.sleptNanos())).isBetween(Duration.ofMillis(1_900), Duration.ofMillis(2_100));
        assertThat(p.metrics().throttleWaitNanos()).isEqualTo(ticker.sleptNanos());
    }

    @Test
    void noPermitWithinMaxWaitIsARateLimitedException() {
        ResiliencePolicy p = ResiliencePolicy.builder("tight").ticker(ticker)
            .rateLimiter(RateLimiters.local("tight-" + System.nanoTime(), 1, 1))
            .rateLimitMaxWait(Duration.ofMillis(100)).build();
        p.call(() -> "first");
        AtomicInteger made = new AtomicInteger();
        assertThatThrownBy(() -> p.call(made::incrementAndGet)).isInstanceOf(RateLimitedException.class);
        assertThat(made).hasValue(0);
    }

    @Test
    void a429PausesTheLimiterForTheHint() {
        ResiliencePolicy p = ResiliencePolicy.builder("hinted").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(2).noBudget().build())
            .rateLimiter(RateLimiters.local("hinted-" + System.nanoTime(), 1000, 1000)).build();
        AtomicInteger n = new AtomicInteger();
        p.call(() -> {
            if (n.incrementAndGet() == 1) {
                throw new HttpStatusException(429, "3", "POST /x");
            }
            return "ok";
        });
        // the retry waited out the hint, and the limiter held admissions for it too
        assertThat(ticker.sleptNanos()).isGreaterThanOrEqualTo(Duration.ofSeconds(3).toNanos());
        assertThat(p.metrics().throttled()).isEqualTo(1);
    }

    @Test
    void theLimiterIsConfigurableFromOptionsAndNamedAfterItsPolicy() {
        ResiliencePolicyConfig c = ResiliencePolicyConfig.fromOptions(Map.of("name", "orders-api",
            "rateLimit.rate", "100", "rateLimit.burst", "50", "rateLimit.maxWait", "30s"));
        TokenBucketFactory f = (TokenBucketFactory) c.rateLimiter().orElseThrow();
        assertThat(f.config().name()).isEqualTo("orders-api");
        assertThat(f.config().rate()).isEqualTo(100.0);
        assertThat(ResiliencePolicyConfig.fromOptions(c.toOptions())).isEqualTo(c);
    }

    @Test
    void problemsFromEverySectionComeBackTogether() {
        assertThatThrownBy(() -> ResiliencePolicyConfig.fromOptions(Map.of("name", "x",
            "retry.maxAttempts", "-1", "rateLimit.rate", "fast", "idempotency.store", "carrier-pigeon")))
            .isInstanceOfSatisfying(io.resiliencekit.config.ConfigException.class, e -> assertThat(e.getMessage())
                .contains("retry.maxAttempts", "rateLimit.rate", "idempotency.store"));
    }
}
