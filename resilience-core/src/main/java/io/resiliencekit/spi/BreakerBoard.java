package io.resiliencekit.spi;

import io.resiliencekit.CircuitState;

/**
 * SPI through which circuit breakers of the same name in several JVMs share one verdict (a
 * Spark plugin hosts the board on the driver; without one each JVM decides alone).
 *
 * <p>Outbound: a bound breaker calls {@link #publish} on every transition it decides itself
 * (never for verdicts it received through {@link CircuitBreaker#applyRemote}), and asks
 * {@link #tryAcquireTrial} before letting each half-open trial call through, so the board can
 * limit trials cluster-wide. Inbound: the board delivers other JVMs' verdicts by calling
 * {@link CircuitBreaker#applyRemote(CircuitState, java.time.Duration)} on each local breaker.
 *
 * <p>Breakers call these methods on the caller's thread, {@link #publish} while holding the
 * breaker's lock (so verdicts leave in order): implementations must be quick and never block
 * (queue, then send asynchronously) and must not throw.
 *
 * <pre>{@code
 * BreakerBoard board = new BreakerBoard() {
 *     public void publish(String name, CircuitState state, long untilEpochMillis) {
 *         outbox.offer(new Verdict(name, state, untilEpochMillis)); // sent to the driver later
 *     }
 * };
 * CircuitBreaker breaker = CircuitBreaker.of(config, Ticker.system()).bindBoard(board);
 * // when the driver relays another executor's verdict:
 * breaker.applyRemote(CircuitState.OPEN, Duration.ofSeconds(30));
 * }</pre>
 */
public interface BreakerBoard {

    /**
     * A local breaker changed state.
     *
     * @param untilEpochMillis for {@link CircuitState#OPEN}, the wall-clock time the open period
     *     ends; {@link Long#MAX_VALUE} for {@link CircuitState#FORCED_OPEN}; 0 otherwise
     */
    void publish(String breakerName, CircuitState state, long untilEpochMillis);

    /**
     * A local half-open breaker wants to let one trial call through. Return false to refuse it
     * (for instance, another JVM already runs the trials). The default allows every local trial.
     */
    default boolean tryAcquireTrial(String breakerName) {
        return true;
    }

    /** A trial granted by {@link #tryAcquireTrial} was not made after all. */
    default void releaseTrial(String breakerName) {
    }

    /**
     * A local breaker bound to this board: the board delivers other JVMs' verdicts to it. Called once
     * per breaker when it is bound.
     */
    default void subscribe(String breakerName, Member member) {
    }

    /** A local breaker, as the board sees it. */
    interface Member {

        /** Applies a verdict reached elsewhere; see {@code CircuitBreaker#applyRemote}. */
        void applyRemote(CircuitState state, java.time.Duration remainingOpen);

        /** How many trial calls this breaker runs when half-open. */
        int trialsWanted();
    }
}
