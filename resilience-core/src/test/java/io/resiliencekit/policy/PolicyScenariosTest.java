package io.resiliencekit.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.CircuitState;
import io.resiliencekit.FailureKind;
import io.resiliencekit.RateLimitedException;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.idempotency.IdempotencyConfig;
import io.resiliencekit.ratelimit.RateLimiters;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.ManualTicker;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.MDC;

/**
 * Every policy scenario through each of the three entry points: {@code call}, {@code callAsync} and
 * {@code callStage} must give the same results (values, exceptions, attempts, waits on the injected
 * clock, events, counters), because one engine makes every decision for all three.
 *
 * <p>Settings: each scenario states its own, chosen so the scenario's decision is visible in few
 * calls (small breaker windows, jitter off so delays are exact); defaults are used where the
 * scenario does not depend on them. Async paths run on a same-thread executor and the virtual
 * clock, so nothing waits in real time.
 */
class PolicyScenariosTest {

    /** The entry point a scenario goes through. */
    enum Path {
        CALL {
            @Override
            <T> T run(ResiliencePolicy p, CallContext ctx, CheckedSupplier<T> action) {
                return p.call(ctx, action);
            }
        },
        CALL_ASYNC {
            @Override
            <T> T run(ResiliencePolicy p, CallContext ctx, CheckedSupplier<T> action) {
                return join(p.callAsync(ctx, action, Runnable::run));
            }
        },
        CALL_STAGE {
            @Override
            <T> T run(ResiliencePolicy p, CallContext ctx, CheckedSupplier<T> action) {
                return join(p.callStage(ctx, () -> {
                    try {
                        return CompletableFuture.completedFuture(action.get());
                    } catch (Exception e) {
                        return CompletableFuture.failedFuture(e);
                    }
                }, Runnable::run));
            }
        };

        abstract <T> T run(ResiliencePolicy p, CallContext ctx, CheckedSupplier<T> action);

        <T> T run(ResiliencePolicy p, CheckedSupplier<T> action) {
            return run(p, CallContext.NONE, action);
        }

        static <T> T join(CompletableFuture<T> f) {
            try {
                return f.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException && e.getCause().getCause() != null
                    ? e.getCause().getCause() : e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                throw new IllegalStateException(cause);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final ManualTicker ticker = new ManualTicker();
    private final List<ResilienceEvent> events = new ArrayList<>();

    private ResiliencePolicyBuilder policy(String name) {
        return ResiliencePolicy.builder(name).ticker(ticker).listener(events::add);
    }

    private static RetryConfig noJitter(int attempts) {
        return RetryConfig.builder().maxAttempts(attempts)
            .backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10)).jitter(Jitter.NONE).noBudget().build();
    }

    private static CheckedSupplier<Integer> failingFirst(int k, AtomicInteger attempts, Exception failure) {
        return TestActions.failingFirst(k, attempts, failure);
    }

    private List<EventType> types() {
        List<EventType> t = new ArrayList<>();
        events.forEach(e -> t.add(e.type()));
        return t;
    }

    private static void countersAddUp(ResiliencePolicy p) {
        assertThat(p.metrics().calls()).as("calls = succeeded + failed")
            .isEqualTo(p.metrics().succeeded() + p.metrics().failed());
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void success(Path path) {
        ResiliencePolicy p = policy("s").retry(noJitter(3)).build();
        assertThat(path.run(p, () -> "ok")).isEqualTo("ok");
        assertThat(p.metrics().calls()).isEqualTo(1);
        assertThat(p.metrics().attempts()).isEqualTo(1);
        assertThat(ticker.sleptNanos()).isZero();
        assertThat(events).isEmpty();
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void transientFailuresAreRetriedWithExponentialDelays(Path path) {
        ResiliencePolicy p = policy("r").retry(noJitter(5)).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(path.run(p, failingFirst(3, attempts, new SocketTimeoutException("slow")))).isEqualTo(4);
        assertThat(types()).containsExactly(EventType.RETRY, EventType.RETRY, EventType.RETRY);
        assertThat(events).extracting(ResilienceEvent::delay)
            .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofMillis(700).toNanos());
        assertThat(p.metrics().attempts()).isEqualTo(4);
        assertThat(p.metrics().retries()).isEqualTo(3);
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void zeroDelayRetriesAreAllowedAndNeverWait(Path path) {
        ResiliencePolicy p = policy("z").retry(RetryConfig.builder().maxAttempts(4)
            .backoff(Duration.ZERO, 2.0, Duration.ZERO).noBudget().build()).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(path.run(p, failingFirst(3, attempts, new IOException("reset")))).isEqualTo(4);
        assertThat(ticker.sleptNanos()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void shortDelaysWaitExactlyAsConfiguredOnTheTicker(Path path) {
        ResiliencePolicy p = policy("ns").retry(RetryConfig.builder().maxAttempts(2)
            .backoff(Duration.ofNanos(1), 1.0, Duration.ofNanos(1)).jitter(Jitter.NONE).noBudget().build()).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(path.run(p, failingFirst(1, attempts, new IOException("reset")))).isEqualTo(2);
        assertThat(ticker.sleptNanos()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void permanentFailuresAreTriedOnce(Path path) {
        ResiliencePolicy p = policy("p").retry(noJitter(5)).build();
        AtomicInteger attempts = new AtomicInteger();
        Throwable t = catchThrowable(() -> path.run(p, failingFirst(99, attempts, new HttpStatusException(400, null, "POST /x"))));
        assertThat(t).isInstanceOfSatisfying(CallFailedException.class, e -> {
            assertThat(e.attempts()).isEqualTo(1);
            assertThat(e.failureKind()).isEqualTo(FailureKind.PERMANENT);
            assertThat(e.reason()).isEqualTo("permanent");
        });
        assertThat(attempts).hasValue(1);
        assertThat(types()).containsExactly(EventType.GIVE_UP);
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void givesUpAfterMaxAttemptsAbortsAndDeadlines(Path path) {
        ResiliencePolicy max = policy("max").retry(noJitter(3)).build();
        AtomicInteger a1 = new AtomicInteger();
        assertThat(catchThrowable(() -> path.run(max, failingFirst(99, a1, new IOException("reset")))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> {
                assertThat(e.reason()).isEqualTo("max attempts");
                assertThat(e.attempts()).isEqualTo(3);
                assertThat(e.getCause()).hasMessage("reset");
            });

        ResiliencePolicy abort = policy("abort").retry(RetryConfig.builder().maxAttempts(5)
            .abortOn(IllegalStateException.class).noBudget().build())
            .classifier(FailureClassifier.builder().transientOn(IllegalStateException.class).build()).build();
        AtomicInteger a2 = new AtomicInteger();
        assertThat(catchThrowable(() -> path.run(abort, failingFirst(99, a2, new IllegalStateException("stop")))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.reason()).isEqualTo("aborted"));
        assertThat(a2).hasValue(1);

        ResiliencePolicy deadline = policy("deadline").retry(RetryConfig.builder().maxAttempts(100)
            .maxDuration(Duration.ofSeconds(1)).backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10))
            .jitter(Jitter.NONE).noBudget().build()).build();
        AtomicInteger a3 = new AtomicInteger();
        long before = ticker.sleptNanos();
        assertThat(catchThrowable(() -> path.run(deadline, failingFirst(99, a3, new IOException("down")))))
            .isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.reason()).isEqualTo("deadline"));
        assertThat(a3).hasValue(4);
        assertThat(ticker.sleptNanos() - before).isEqualTo(Duration.ofMillis(700).toNanos());
        countersAddUp(max);
        countersAddUp(abort);
        countersAddUp(deadline);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void retryAfterWinsOverBackoffWithinItsCap(Path path) {
        ResiliencePolicy p = policy("ra").retry(RetryConfig.builder().maxAttempts(3).retryAfterCap(Duration.ofSeconds(30))
            .noBudget().build()).build();
        AtomicInteger attempts = new AtomicInteger();
        assertThat(path.run(p, failingFirst(1, attempts, new HttpStatusException(429, "2", "POST /x")))).isEqualTo(2);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(types()).containsExactly(EventType.THROTTLED, EventType.RETRY);
        AtomicInteger again = new AtomicInteger();
        assertThat(path.run(p, failingFirst(1, again, new HttpStatusException(429, "3600", "POST /x")))).isEqualTo(2);
        assertThat(ticker.sleptNanos()).isEqualTo(Duration.ofSeconds(32).toNanos());
        assertThat(p.metrics().throttled()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void theRetryBudgetStopsRetriesToADeadDependency(Path path) {
        // ratio 0, reserve 2: exactly two retries in all, whatever the number of calls
        ResiliencePolicy p = policy("budget").retry(RetryConfig.builder().maxAttempts(3)
            .backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)).budget(true, 0.0, 2).build()).build();
        int made = 0;
        for (int i = 0; i < 5; i++) {
            AtomicInteger attempts = new AtomicInteger();
            Throwable t = catchThrowable(() -> path.run(p, failingFirst(99, attempts, new IOException("down"))));
            assertThat(t).isInstanceOf(CallFailedException.class);
            made += attempts.get();
        }
        assertThat(made).as("5 calls + 2 budgeted retries").isEqualTo(7);
        assertThat(p.metrics().budgetRejections()).isEqualTo(4);
        assertThat(types()).contains(EventType.RETRY_BUDGET_EXHAUSTED);
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void breakerTransitionsRejectionsAndRecovery(Path path) {
        ResiliencePolicy p = policy("dep").retry(RetryConfig.builder().maxAttempts(3).noBudget().build())
            .circuitBreaker(CircuitBreakerConfig.builder("dep").countWindow(10).minimumCalls(4)
                .failureRateThreshold(0.5).permittedCallsInHalfOpen(2).openDuration(Duration.ofSeconds(30)).build())
            .build();
        AtomicInteger made = new AtomicInteger();
        CheckedSupplier<String> down = () -> {
            made.incrementAndGet();
            throw new IOException("connection refused");
        };
        CheckedSupplier<String> up = () -> {
            made.incrementAndGet();
            return "ok";
        };
        assertThat(catchThrowable(() -> path.run(p, down))).isInstanceOf(CallFailedException.class);
        assertThat(catchThrowable(() -> path.run(p, down))).isInstanceOfSatisfying(CircuitOpenException.class,
            e -> assertThat(e.attempts()).isEqualTo(1));
        assertThat(made).hasValue(4);
        for (int i = 0; i < 10; i++) {
            assertThat(catchThrowable(() -> path.run(p, up))).isInstanceOf(CircuitOpenException.class);
        }
        assertThat(made).as("no call while open").hasValue(4);
        ticker.advance(Duration.ofSeconds(30));
        assertThat(path.run(p, up)).isEqualTo("ok");
        assertThat(path.run(p, up)).isEqualTo("ok");
        assertThat(p.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitState.CLOSED);
        assertThat(events).filteredOn(e -> e.type() == EventType.BREAKER_TRANSITION).extracting(ResilienceEvent::detail)
            .containsExactly("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED");
        assertThat(events).filteredOn(e -> e.type() == EventType.BREAKER_REJECTED).hasSize(11);
        assertThat(p.metrics().breakerRejections()).isEqualTo(11);
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void theLimiterWaitsOnTheTickerAndGivesUpAfterMaxWait(Path path) {
        ResiliencePolicy p = policy("lim").rateLimiter(RateLimiters.local("lim", 10, 10)).build();
        for (int i = 0; i < 30; i++) {
            path.run(p, () -> "ok");
        }
        assertThat(Duration.ofNanos(ticker.sleptNanos())).isBetween(Duration.ofMillis(1_900), Duration.ofMillis(2_100));
        assertThat(p.metrics().throttleWaitNanos()).isEqualTo(ticker.sleptNanos());

        ResiliencePolicy tight = policy("tight").rateLimiter(RateLimiters.local("tight", 1, 1))
            .rateLimitMaxWait(Duration.ofMillis(100)).build();
        path.run(tight, () -> "first");
        AtomicInteger made = new AtomicInteger();
        assertThat(catchThrowable(() -> path.run(tight, made::incrementAndGet))).isInstanceOf(RateLimitedException.class);
        assertThat(made).hasValue(0);
        countersAddUp(p);
        countersAddUp(tight);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void aThrottleHintPausesTheLimiter(Path path) {
        ResiliencePolicy p = policy("hinted").retry(RetryConfig.builder().maxAttempts(2).noBudget().build())
            .rateLimiter(RateLimiters.local("hinted", 1000, 1000)).build();
        AtomicInteger n = new AtomicInteger();
        path.run(p, () -> {
            if (n.incrementAndGet() == 1) {
                throw new HttpStatusException(429, "3", "POST /x");
            }
            return "ok";
        });
        assertThat(ticker.sleptNanos()).isGreaterThanOrEqualTo(Duration.ofSeconds(3).toNanos());
        assertThat(p.metrics().throttled()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void theGuardRunsAKeyOnceAndTheActionSeesTheMdc(Path path) {
        ResiliencePolicy p = policy("guarded").retry(RetryConfig.builder().maxAttempts(3).noBudget().build())
            .idempotency(IdempotencyConfig.builder().memory("guarded").build()).build();
        CallContext ctx = CallContext.builder().idempotencyKey("orders:run-1:order-7").fingerprint("fp")
            .attribute("orderId", "order-7").build();
        AtomicInteger effects = new AtomicInteger();
        AtomicReference<String> mdc = new AtomicReference<>();
        AtomicInteger attempts = new AtomicInteger();
        String first = path.run(p, ctx, () -> {
            mdc.set(MDC.get("orderId"));
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("reset"); // retried inside the claim: still one effect
            }
            return "charge-" + effects.incrementAndGet();
        });
        String second = path.run(p, ctx, () -> "charge-" + effects.incrementAndGet());
        assertThat(first).isEqualTo("charge-1");
        assertThat(second).isEqualTo("charge-1");
        assertThat(effects).hasValue(1);
        assertThat(mdc.get()).isEqualTo("order-7");
        assertThat(MDC.get("orderId")).as("restored after the call").isNull();
        assertThat(p.metrics().duplicatesSkipped()).isEqualTo(1);
        assertThat(types()).contains(EventType.RETRY, EventType.DUPLICATE_SKIPPED);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void resultsCanBeClassifiedAsFailures(Path path) {
        ResiliencePolicy p = policy("results").retry(noJitter(3))
            .classifier(FailureClassifier.builder().failureIfResult((Integer s) -> s >= 500).build()).build();
        AtomicInteger n = new AtomicInteger();
        assertThat(path.run(p, () -> n.incrementAndGet() < 3 ? 503 : 200)).isEqualTo(200);
        assertThat(n).hasValue(3);
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void anErrorIsNeverRetriedAndGivesTheHalfOpenTrialBack(Path path) {
        ResiliencePolicy p = policy("err").retry(noJitter(3))
            .circuitBreaker(CircuitBreakerConfig.builder("err").countWindow(2).minimumCalls(2).failureRateThreshold(0.5)
                .permittedCallsInHalfOpen(1).openDuration(Duration.ofSeconds(1)).build()).build();
        p.circuitBreaker().orElseThrow().transitionToOpen();
        ticker.advance(Duration.ofSeconds(1));
        AtomicInteger attempts = new AtomicInteger();
        assertThat(catchThrowable(() -> path.run(p, () -> {
            attempts.incrementAndGet();
            throw new OutOfMemoryError("simulated");
        }))).isInstanceOf(OutOfMemoryError.class);
        assertThat(attempts).as("never retried").hasValue(1);
        assertThat(path.run(p, () -> "the trial permit came back")).isEqualTo("the trial permit came back");
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void aResultCheckThatThrowsFailsTheCallAndGivesTheTrialBack(Path path) {
        ResiliencePolicy p = policy("check").retry(noJitter(3))
            .classifier(FailureClassifier.builder().failureIfResult((String s) -> s.length() > 2).build())
            .circuitBreaker(CircuitBreakerConfig.builder("check").permittedCallsInHalfOpen(1)
                .openDuration(Duration.ofSeconds(1)).build()).build();
        p.circuitBreaker().orElseThrow().transitionToOpen();
        ticker.advance(Duration.ofSeconds(1));
        AtomicInteger attempts = new AtomicInteger();
        assertThat(catchThrowable(() -> path.run(p, () -> {
            attempts.incrementAndGet();
            return (String) null; // the predicate throws a NullPointerException
        }))).isInstanceOfSatisfying(CallFailedException.class, e -> {
            assertThat(e.reason()).isEqualTo("result check failed");
            assertThat(e.getCause()).isInstanceOf(NullPointerException.class);
        });
        assertThat(attempts).hasValue(1);
        // the failed trial was recorded: the breaker re-opened instead of refusing forever
        assertThat(p.circuitBreaker().orElseThrow().state()).isEqualTo(CircuitState.OPEN);
        ticker.advance(Duration.ofSeconds(2)); // a re-open lasts twice as long (the default growth)
        assertThat(path.run(p, () -> "ok")).isEqualTo("ok");
        countersAddUp(p);
    }

    @ParameterizedTest
    @EnumSource(Path.class)
    void theContextsAttributesAreInTheMdcWithoutAKey(Path path) {
        ResiliencePolicy p = policy("mdc").build();
        AtomicReference<String> seen = new AtomicReference<>();
        path.run(p, CallContext.builder().attribute("partition", "7").build(), () -> {
            seen.set(MDC.get("partition"));
            return 1;
        });
        assertThat(seen.get()).isEqualTo("7");
        assertThat(MDC.get("partition")).isNull();
    }

    /** The same scenario list for each path: one assertion that each result is the same, not just similar. */
    @ParameterizedTest
    @EnumSource(Path.class)
    void aSeededPolicyDrawsTheSameDelaysOnEveryPath(Path path) {
        List<Duration> delays = new ArrayList<>();
        ResiliencePolicy p = ResiliencePolicy.builder("seeded").ticker(new ManualTicker())
            .retry(RetryConfig.builder().maxAttempts(5).jitter(Jitter.DECORRELATED).seed(7L).noBudget().build())
            .listener(e -> {
                if (e.type() == EventType.RETRY) {
                    delays.add(e.delay());
                }
            }).build();
        for (int i = 0; i < 3; i++) {
            catchThrowable(() -> path.run(p, () -> {
                throw new IOException("down");
            }));
        }
        List<Duration> viaCall = new ArrayList<>();
        ResiliencePolicy q = ResiliencePolicy.builder("seeded").ticker(new ManualTicker())
            .retry(RetryConfig.builder().maxAttempts(5).jitter(Jitter.DECORRELATED).seed(7L).noBudget().build())
            .listener(e -> {
                if (e.type() == EventType.RETRY) {
                    viaCall.add(e.delay());
                }
            }).build();
        for (int i = 0; i < 3; i++) {
            catchThrowable(() -> Path.CALL.run(q, () -> {
                throw new IOException("down");
            }));
        }
        assertThat(delays).hasSize(12).isEqualTo(viaCall);
    }

}
