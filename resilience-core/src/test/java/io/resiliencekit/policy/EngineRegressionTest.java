package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CircuitState;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.idempotency.InMemoryIdempotencyStore;
import io.resiliencekit.ratelimit.InProcessTokenAuthority;
import io.resiliencekit.ratelimit.LeasedTokenBucket;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.ratelimit.TokenBucket;
import io.resiliencekit.retry.LocalRetryBudget;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.spi.BreakerBoard;
import io.resiliencekit.spi.Cluster;
import io.resiliencekit.spi.IdempotencyStore;
import io.resiliencekit.spi.RateLimiter;
import io.resiliencekit.spi.RetryBudget;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * One test per fault that issue 8 names in the engine, the runtime and the bindings; each failed
 * on the engine with three hand-written attempt loops and JVM-wide registries.
 */
class EngineRegressionTest {

    private final ManualTicker ticker = new ManualTicker();

    @Test
    void asyncCallsWithAContext_areGuardedAndCarryTheMdc() throws Exception {
        ResiliencePolicy p = ResiliencePolicy.builder("async-guarded").ticker(ticker)
            .idempotency(IdempotencyConfig.builder().memory("async-guarded").build()).build();
        CallContext ctx = CallContext.builder().idempotencyKey("orders:run-1:o-1").attribute("orderId", "o-1").build();
        AtomicInteger effects = new AtomicInteger();
        List<String> mdc = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            p.callAsync(ctx, () -> {
                mdc.add(MDC.get("orderId"));
                return effects.incrementAndGet();
            }, Runnable::run).get(10, TimeUnit.SECONDS);
            p.callStage(ctx, () -> {
                mdc.add(MDC.get("orderId"));
                return CompletableFuture.completedFuture(effects.incrementAndGet());
            }, Runnable::run).get(10, TimeUnit.SECONDS);
        }
        assertThat(effects).as("one effect for the key, across callAsync and callStage").hasValue(1);
        assertThat(mdc).containsExactly("o-1");
        assertThat(p.metrics().duplicatesSkipped()).isEqualTo(3);
    }

    @Test
    void anErrorInAnAsyncAction_releasesTheBreakerPermit() throws Exception {
        ResiliencePolicy p = ResiliencePolicy.builder("async-error").ticker(ticker).noRetry()
            .circuitBreaker(CircuitBreakerConfig.builder("async-error").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).build()).build();
        CircuitBreaker b = p.circuitBreaker().orElseThrow();
        b.transitionToOpen();
        ticker.advance(Duration.ofSeconds(1));
        CompletableFuture<Object> f = p.callStage(CallContext.NONE, () -> {
            throw new StackOverflowError("simulated");
        }, Runnable::run);
        assertThat(catchThrowable(f::join)).hasRootCauseInstanceOf(StackOverflowError.class);
        assertThat(b.state()).isEqualTo(CircuitState.HALF_OPEN);
        assertThat(b.refusesNow()).as("the one trial permit came back").isFalse();
        assertThat(p.callStage(CallContext.NONE, () -> CompletableFuture.completedFuture("trial"), Runnable::run).join())
            .isEqualTo("trial");
    }

    @Test
    void noBreakerPermissionIsHeld_whileACallWaitsForARateLimitPermit() {
        List<Boolean> trialTakenDuringWait = new ArrayList<>();
        AtomicReference<CircuitBreaker> breaker = new AtomicReference<>();
        Ticker observing = TestActions.sleeping(ticker, nanos -> trialTakenDuringWait.add(breaker.get().refusesNow()));
        ResiliencePolicy p = ResiliencePolicy.builder("wait-then-trial").ticker(observing).noRetry()
            .rateLimiter(RateLimiters.local("wait-then-trial", 0.1, 1))   // refills in 10 s: the breaker reopens first
            .circuitBreaker(CircuitBreakerConfig.builder("wait-then-trial").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).build()).build();
        breaker.set(p.circuitBreaker().orElseThrow());
        p.call(() -> "takes the one permit of the burst");
        breaker.get().transitionToOpen();
        ticker.advance(Duration.ofSeconds(1));
        breaker.get().tryAcquirePermission();   // OPEN -> HALF_OPEN; give the trial back: nobody holds it
        breaker.get().releasePermission();
        assertThat(p.call(() -> "the trial, after waiting for a permit")).isNotNull();
        assertThat(trialTakenDuringWait).as("waited for a permit").isNotEmpty()
            .as("the half-open trial was free all the time the call waited").containsOnly(false);
    }

    @Test
    void aCallersListener_hearsTheRetriesAndTransitionsOfItsOwnCalls() {
        ResiliencePolicy p = ResiliencePolicy.builder("site").ticker(ticker)
            .retry(RetryConfig.builder().maxAttempts(2).noBudget().build())
            .circuitBreaker(CircuitBreakerConfig.builder("site").countWindow(2).minimumCalls(2).build()).build();
        List<String> heard = new ArrayList<>();
        try (ResiliencePolicy.Caller caller = p.caller(e -> heard.add(e.type() + " " + e.detail()))) {
            catchThrowable(() -> caller.call(() -> {
                throw new IOException("down");
            }));
        }
        assertThat(heard).containsExactly("RETRY TRANSIENT", "BREAKER_TRANSITION CLOSED->OPEN", "GIVE_UP max attempts");
    }

    @Test
    void zeroDelayRetries_canBeConfigured() {
        RetryConfig retry = RetryConfig.builder().maxAttempts(3).backoff(Duration.ZERO, 2.0, Duration.ZERO).build();
        assertThat(retry.backoff().exponentialNanos(3)).isZero();
        assertThat(RetryConfig.fromOptions(java.util.Map.of("retry.baseDelay", "0ms", "retry.maxDelay", "0ms"))
            .backoff().base()).isZero();
    }

    @Test
    void twoRuntimes_shareNoLimiterAndNoStore() {
        ResiliencePolicyConfig config = ResiliencePolicy.builder("isolated")
            .rateLimiter(RateLimiters.local("isolated", 5, 5))
            .idempotency(IdempotencyConfig.builder().memory("isolated").build()).config();
        try (ResilienceRuntime a = ResilienceRuntime.builder().ticker(ticker).build();
             ResilienceRuntime b = ResilienceRuntime.builder().ticker(new ManualTicker()).build()) {
            ResiliencePolicy pa = a.policy(config);
            ResiliencePolicy pb = b.policy(config);
            assertThat(pa.rateLimiter().orElseThrow()).isNotSameAs(pb.rateLimiter().orElseThrow());
            CallContext ctx = CallContext.ofKey("isolated:run-1:k");
            assertThat(pa.call(ctx, () -> "a")).isEqualTo("a");
            assertThat(pb.call(ctx, () -> "b")).as("b's store has never seen the key").isEqualTo("b");
            assertThat(a.policy(config)).isSameAs(pa);
        }
    }

    @Test
    void theSameNameWithAnotherSpec_isAnErrorNamingBoth() {
        try (ResilienceRuntime r = ResilienceRuntime.builder().build()) {
            r.policy(ResiliencePolicy.builder("orders").retry(RetryConfig.builder().maxAttempts(3).build()).config());
            assertThatThrownBy(() -> r.policy(ResiliencePolicy.builder("orders")
                .retry(RetryConfig.builder().maxAttempts(7).build()).config()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("policy 'orders' is already defined")
                .hasMessageContaining("retry.maxAttempts=3").hasMessageContaining("retry.maxAttempts=7");
            r.policy(ResiliencePolicy.builder("a").rateLimiter(RateLimiters.local("shared-bucket", 10, 10)).config());
            assertThatThrownBy(() -> r.policy(ResiliencePolicy.builder("b")
                .rateLimiter(RateLimiters.local("shared-bucket", 20, 10)).config()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rate limiter 'shared-bucket' is already defined")
                .hasMessageContaining("rate=10.0").hasMessageContaining("rate=20.0");
        }
    }

    @Test
    void aPolicyObtainedFromABoundRuntime_isBoundToTheClusterInEveryCapability() {
        TestCluster cluster = new TestCluster(ticker);
        try (ResilienceRuntime r = ResilienceRuntime.builder().ticker(ticker).cluster(cluster).build()) {
            // every capability with its documented default scope (auto)
            ResiliencePolicy p = r.policy(ResiliencePolicy.builder("bound")
                .retry(RetryConfig.builder().maxAttempts(2).build())
                .circuitBreaker(CircuitBreakerConfig.builder("bound").countWindow(2).minimumCalls(2).build())
                .rateLimiter(RateLimiters.of("bound", 100, 10))
                .idempotency(IdempotencyConfig.builder().build())
                .config());
            RateLimiter limiter = p.rateLimiter().orElseThrow();
            assertThat(limiter).isInstanceOf(LeasedTokenBucket.class);
            assertThat(((LeasedTokenBucket) limiter).clientId()).isEqualTo(cluster.clientId());
            p.call(CallContext.ofKey("bound:run-1:k1"), () -> "once");
            assertThat(cluster.ledger.claim("bound:run-1:k1", null, "someone-else", Duration.ofMinutes(1)).status())
                .as("the key went to the cluster's ledger").isEqualTo(io.resiliencekit.spi.ClaimResult.Status.COMPLETED);
            for (int i = 0; i < 2; i++) {
                catchThrowable(() -> p.call(() -> {
                    throw new IOException("down");
                }));
            }
            assertThat(cluster.published).as("the breaker's verdict reached the board").contains("bound:OPEN");
            assertThat(cluster.budgetsMade).as("the retry budget is the cluster's").containsExactly("bound");
        }
    }

    @Test
    void theAuthorityOwnsTheRate_aClientDeclaringAnotherIsRefused() throws Exception {
        InProcessTokenAuthority authority = new InProcessTokenAuthority(Ticker.system());
        authority.define("quota", 100, 10);
        LeasedTokenBucket other = TokenBucket.builder("quota").rate(500).burst(50).buildLeased(authority);
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Throwable t = null;
            while (t == null && System.nanoTime() < until) {
                t = catchThrowable(() -> other.acquire(1, Duration.ofMillis(50)));
            }
            assertThat(t).isInstanceOf(ConfigException.class)
                .hasMessageContaining("limiter 'quota' is defined at its authority with rate 100.0/s and burst 10")
                .hasMessageContaining("declares rate 500.0/s and burst 50");
        } finally {
            other.close();
        }
    }

    /** A cluster on in-process parts, recording what goes through it. */
    static final class TestCluster implements Cluster {
        final InProcessTokenAuthority authority;
        final InMemoryIdempotencyStore ledger;
        final List<String> published = new ArrayList<>();
        final List<String> budgetsMade = new ArrayList<>();

        final String clientId;

        TestCluster(Ticker ticker) {
            this(ticker, "member-1");
        }

        TestCluster(Ticker ticker, String clientId) {
            this.clientId = clientId;
            authority = new InProcessTokenAuthority(ticker);
            ledger = InMemoryIdempotencyStore.builder().ticker(ticker).build();
        }

        @Override
        public String describe() {
            return "test cluster";
        }

        @Override
        public String clientId() {
            return clientId;
        }

        @Override
        public TokenAuthority tokenAuthority() {
            return authority;
        }

        @Override
        public IdempotencyStore ledger() {
            return ledger;
        }

        @Override
        public BreakerBoard breakerBoard() {
            return (name, state, until) -> published.add(name + ":" + state);
        }

        @Override
        public RetryBudget retryBudget(String policyName, double ratio, int reserve, LongSupplier calls) {
            budgetsMade.add(policyName);
            return new LocalRetryBudget(ratio, reserve, calls);
        }
    }
}
