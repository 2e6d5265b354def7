package io.resiliencekit.failsafe;

import io.resiliencekit.breaker.CircuitBreaker;

import dev.failsafe.ExecutionContext;
import dev.failsafe.Policy;
import dev.failsafe.PolicyConfig;
import dev.failsafe.spi.ExecutionResult;
import dev.failsafe.spi.PolicyExecutor;
import io.resiliencekit.CircuitOpenException;
import java.util.Objects;

/**
 * A {@link CircuitBreaker} seen through Failsafe's policy contract ({@code dev.failsafe.spi}), so it
 * can be mixed into a plain {@code Failsafe.with(...)}. This package is the only place where the
 * library's public signatures mention Failsafe types (an ArchUnit rule keeps it so): the composed
 * policy does not depend on Failsafe at all. The breaker's state is shared with every
 * other user of the same {@link CircuitBreaker}; this object only adapts it.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.of(config, Ticker.system());
 * RetryPolicy<Object> retry = RetryPolicy.builder().abortOn(CircuitOpenException.class).build();
 * String body = Failsafe.with(retry, CircuitBreakerPolicy.<String>of(breaker)).get(() -> client.fetch());
 * }</pre>
 *
 * <p>An attempt the breaker refuses is not made and fails with {@link CircuitOpenException}. Any
 * exception from the attempt counts as a failure, any result as a success. When the breaker
 * {@link CircuitBreaker#needsTiming() needs timing}, attempts are timed on the breaker's ticker.
 *
 * @param <R> result type
 */
public final class CircuitBreakerPolicy<R> implements Policy<R> {

    private final CircuitBreaker breaker;
    private final PolicyConfig<R> config = new PolicyConfig<R>() {
    };

    /** {@code breaker} seen through Failsafe's policy contract; its state stays the breaker's. */
    public static <R> CircuitBreakerPolicy<R> of(CircuitBreaker breaker) {
        return new CircuitBreakerPolicy<>(breaker);
    }

    private CircuitBreakerPolicy(CircuitBreaker breaker) {
        this.breaker = Objects.requireNonNull(breaker, "breaker");
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    @Override
    public PolicyConfig<R> getConfig() {
        return config;
    }

    @Override
    public PolicyExecutor<R> toExecutor(int policyIndex) {
        return new Executor<>(this, policyIndex, breaker);
    }

    /** Failsafe makes one executor per execution; attempts of one execution run one at a time. */
    private static final class Executor<R> extends PolicyExecutor<R> {
        private final CircuitBreaker breaker;
        private long attemptStart;

        Executor(Policy<R> policy, int policyIndex, CircuitBreaker breaker) {
            super(policy, policyIndex);
            this.breaker = breaker;
        }

        @Override
        protected ExecutionResult<R> preExecute() {
            if (!breaker.tryAcquirePermission()) {
                return ExecutionResult.exception(new CircuitOpenException(breaker.name(), breaker.name(), 0,
                    breaker.remainingOpenTime(), null));
            }
            attemptStart = breaker.needsTiming() ? breaker.ticker().nanoTime() : 0L;
            return null;
        }

        @Override
        protected void onSuccess(ExecutionResult<R> result) {
            breaker.onSuccess(elapsed());
        }

        @Override
        protected ExecutionResult<R> onFailure(ExecutionContext<R> context, ExecutionResult<R> result) {
            breaker.onFailure(elapsed(), result.getException());
            return result;
        }

        private long elapsed() {
            return breaker.needsTiming() ? Math.max(0L, breaker.ticker().nanoTime() - attemptStart) : -1L;
        }
    }
}
