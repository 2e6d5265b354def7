package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.CircuitState;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.spi.BreakerBoard;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Pins the documented stage order (docs/architecture.md, "How a call flows"): idempotency claim,
 * then per attempt the rate-limit permit before the breaker's permission, then the action, then the
 * outcome back to the stages, then the key completed. Each stage records when it is asked.
 */
class StageOrderTest {

    static final List<String> SEEN = new CopyOnWriteArrayList<>();

    @Test
    void claimThenPermitThenBreakerThenActionThenCompletion() {
        SEEN.clear();
        ManualTicker ticker = new ManualTicker();
        BreakerBoard board = new BreakerBoard() {
            @Override
            public void publish(String name, CircuitState state, long until) {
                SEEN.add("verdict " + state);
            }

            @Override
            public boolean tryAcquireTrial(String name) {
                SEEN.add("breaker permission");
                return true;
            }
        };
        ResiliencePolicy p = ResiliencePolicy.builder("order").ticker(ticker).noRetry()
            .idempotency((ctx, events) -> new RecordingGuard())
            .rateLimiter(ctx -> new RecordingLimiter())
            .circuitBreaker(CircuitBreakerConfig.builder("order").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).board(ctx -> board).build())
            .build();
        p.circuitBreaker().orElseThrow().transitionToOpen();   // half-open next: its permission is observable
        ticker.advance(Duration.ofSeconds(1));
        SEEN.clear();
        p.call(CallContext.ofKey("order:run-1:k"), () -> {
            SEEN.add("action");
            return "ok";
        });
        assertThat(SEEN).containsExactly("claim", "permit", "verdict HALF_OPEN", "breaker permission", "action",
            "verdict CLOSED", "complete");
    }

    static final class RecordingLimiter implements RateLimiter {
        @Override
        public String name() {
            return "order";
        }

        @Override
        public boolean tryAcquire(int permits) {
            SEEN.add("permit");
            return true;
        }

        @Override
        public long acquire(int permits, Duration timeout) {
            return 0;
        }

        @Override
        public void onThrottled(Duration hint) {
        }
    }

    static final class RecordingGuard implements IdempotencyGuard {
        @Override
        public Claim open(String policyName, CallContext context) {
            return new Claim() {
                @Override
                public long tryClaim() {
                    SEEN.add("claim");
                    return CLAIMED;
                }

                @Override
                public Object replay() {
                    return null;
                }

                @Override
                public long fencingToken() {
                    return 1L;
                }

                @Override
                public void checkHeld() {
                    // held throughout: not a stage of its own
                }

                @Override
                public boolean complete(Object value) {
                    SEEN.add("complete");
                    return true;
                }

                @Override
                public void fail(Throwable failure) {
                    SEEN.add("fail");
                }
            };
        }

        @Override
        public <T> T execute(String policyName, CallContext context, CheckedSupplier<T> action) throws Exception {
            throw new UnsupportedOperationException("the engine drives the claim itself");
        }
    }
}
