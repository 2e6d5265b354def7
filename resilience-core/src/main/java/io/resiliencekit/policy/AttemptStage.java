package io.resiliencekit.policy;

/**
 * One capability that every attempt of a call passes through (rate limit, circuit breaker; timeout
 * and bulkhead would be two more). The engine enters the stages in order before an attempt and tells
 * each how the attempt ended; the same calls are made on the synchronous and asynchronous paths,
 * only the waiting differs (a sleep on the ticker or a scheduled continuation).
 *
 * <p>Contract: a stage that was entered is told exactly once about the attempt: {@link #onSuccess},
 * {@link #onFailure} or {@link #abandon} (the attempt was not made after all, or ended in an
 * {@link Error}); a stage that was not entered is told nothing.
 */
interface AttemptStage {

    /**
     * Refuses the attempt before anything is taken from any stage, when the refusal does not depend
     * on waiting (an open breaker): a permit taken by an earlier stage would be wasted otherwise.
     *
     * @throws RuntimeException the exception that ends the call
     */
    void refuseEarly(Execution<?> x);

    /**
     * Enters without waiting, or says how long to wait.
     *
     * @return 0 when entered; {@code > 0}: wait that many nanoseconds, then call again
     * @throws RuntimeException the exception that ends the call (refused, no permit in time)
     */
    long enter(Execution<?> x);

    void onSuccess(Execution<?> x, long durationNanos);

    void onFailure(Execution<?> x, long durationNanos, Throwable failure);

    void abandon(Execution<?> x);
}
