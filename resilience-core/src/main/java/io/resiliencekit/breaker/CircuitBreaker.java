package io.resiliencekit.breaker;

import io.resiliencekit.CircuitState;

import io.resiliencekit.spi.BreakerBoard;

import io.resiliencekit.breaker.internal.CountWindow;
import io.resiliencekit.breaker.internal.OpeningRule;
import io.resiliencekit.breaker.internal.OutcomeWindow;
import io.resiliencekit.breaker.internal.TimeWindow;
import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime circuit breaker: one per name and JVM, built from a {@link CircuitBreakerConfig}
 * and shared by all threads.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.of(config, Ticker.system());
 * if (!breaker.tryAcquirePermission()) {
 *     throw new CircuitOpenException("orders", breaker.name(), 0, breaker.remainingOpenTime(), null);
 * }
 * long start = breaker.needsTiming() ? System.nanoTime() : 0;
 * try {
 *     Response r = client.send(request);
 *     breaker.onSuccess(breaker.needsTiming() ? System.nanoTime() - start : -1);
 *     return r;
 * } catch (Exception e) {
 *     breaker.onFailure(breaker.needsTiming() ? System.nanoTime() - start : -1, e);
 *     throw e;
 * }
 * }</pre>
 *
 * <p><b>Semantics.</b> CLOSED: outcomes go to the window; once it holds at least
 * {@code minimumCalls} calls and the failure rate (or, with a slow-call duration, the slow-call
 * rate) reaches its threshold, the breaker opens. OPEN: every call is refused until the open
 * duration has passed on the {@link Ticker}; the next {@link #tryAcquirePermission()} then moves
 * to HALF_OPEN (so {@link #state()} reports OPEN until someone asks). HALF_OPEN: exactly
 * {@code permittedCallsInHalfOpen} trial calls are let through, concurrent callers beyond that are
 * refused; when all trials have completed, the breaker closes (fresh window) if their failure and
 * slow-call rates are below the thresholds, else re-opens, for {@code open * multiplier^(n-1)}
 * (capped) on the n-th consecutive open. FORCED_OPEN: refuses everything until
 * {@link #transitionToClosed()} or {@link #reset()}. Each transition publishes
 * {@link EventType#BREAKER_TRANSITION} with detail {@code "CLOSED->OPEN"} (and the open duration
 * as delay); each refusal {@link EventType#BREAKER_REJECTED}. Transition listeners run on the
 * thread that caused the transition, under the breaker's lock, so they see transitions in order:
 * keep them quick.
 *
 * <p>Outcomes carry no permission token, so a call that started before a transition is recorded
 * in the state current when it ends: ignored while OPEN, counted as a trial while HALF_OPEN.
 *
 * <p><b>Cost.</b> CLOSED, {@code tryAcquirePermission()} + {@code onSuccess(d)} take no lock and
 * allocate nothing, whatever the window holds: a success is one increment of a striped counter
 * (a {@link LongAdder}), and no write at all while a count window is full and holds no failure
 * and no slow call. A count window never reads the clock; a time window reads it once per
 * success. Failures and slow calls take the lock (they are the rare outcome: a breaker whose
 * calls mostly fail opens). Successes take it only where they might decide something: in a window
 * short of {@code minimumCalls} whose failures already reach a threshold at {@code minimumCalls}
 * (the success that completes the minimum opens the breaker), and as the first outcome of each
 * new time bucket ({@code windowDuration / 20}), when older buckets expire and the rates may rise.
 *
 * <p><b>Concurrency.</b> With one thread, everything above is exact. When threads race, the
 * window is the last outcomes <em>in the order they were counted</em>: a success when its
 * increment lands, a failure or slow call when it takes the lock, numbered by the count it reads
 * there. So "the last {@code windowSize} calls" may place a success that ran at the same time as
 * a failure before or after it; a thread descheduled between its check and its increment counts
 * its success late (in a time window, possibly in a later bucket); a success that passed its
 * CLOSED check just before the breaker opened is counted in the window it saw (visible in
 * {@link #metrics()} while OPEN), or, after a close, in the fresh one; and a success that was
 * already past its check when a concurrent failure made the next successes decisive (the case of
 * a window short of the minimum, above) may complete {@code minimumCalls} without a look at the
 * rates, which the next outcome recorded under the lock then takes. This is safe because no
 * failure is ever lost or misplaced: each is recorded under the lock against a count that holds
 * every success that completed before it (bar those made while the count window was clean, which
 * change nothing); only successes running while it is recorded may land on either side. A success
 * can only lower the rates, so a success counted early or late can delay an opening by a call
 * or so per racing thread, never cause one, and the breaker still opens at the failure that
 * brings the rate to the threshold, under the lock. Transitions, half-open trials, events and
 * {@link #metrics()} snapshots are all made under the lock, as with one thread.
 *
 * <p>To mix it into a plain {@code Failsafe.with(...)}, see {@code io.resiliencekit.failsafe.CircuitBreakerPolicy}.
 *
 * <p><b>Sharing.</b> {@link #bindBoard(BreakerBoard)} connects it to a cluster-wide
 * {@link BreakerBoard}; remote verdicts come in through {@link #applyRemote(CircuitState, Duration)}.
 */
public final class CircuitBreaker implements BreakerBoard.Member {

    private static final Logger LOG = LoggerFactory.getLogger(CircuitBreaker.class);

    private final CircuitBreakerConfig config;
    private final String name;
    private final Ticker ticker;
    private final EventPublisher events = new EventPublisher();
    private final OutcomeWindow window;
    private final OpeningRule rule;
    private final boolean timing;
    private final long slowNanos;
    private final int trials;
    /** Package-private so a test can hold it and show that the success path never takes it. */
    final Object lock = new Object();
    private final LongAdder notPermitted = new LongAdder();

    // The only field the hot path reads besides the window's mode; replaced on every transition.
    private volatile Phase phase = Phase.closed();
    private volatile BreakerBoard board;
    private int consecutiveOpens; // guarded by lock

    private CircuitBreaker(CircuitBreakerConfig config, Ticker ticker) {
        this.config = Objects.requireNonNull(config, "config");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.name = config.name();
        this.timing = config.slowCallDurationThreshold().isPresent();
        this.slowNanos = timing ? config.slowCallDurationThreshold().get().toNanos() : Long.MAX_VALUE;
        this.trials = config.permittedCallsInHalfOpen();
        if (config.windowType() == CircuitBreakerConfig.WindowType.COUNT) {
            this.rule = new OpeningRule(Math.min(config.minimumCalls(), config.windowSize()),
                config.failureRateThreshold(), timing, config.slowCallRateThreshold());
            this.window = new CountWindow(config.windowSize(), rule);
        } else {
            this.rule = new OpeningRule(config.minimumCalls(), config.failureRateThreshold(), timing,
                config.slowCallRateThreshold());
            this.window = new TimeWindow(config.windowDuration().toNanos(), ticker, rule);
        }
    }

    /** A new, closed breaker; build one per JVM and name, and share it. */
    public static CircuitBreaker of(CircuitBreakerConfig config, Ticker ticker) {
        return new CircuitBreaker(config, ticker);
    }

    public String name() {
        return name;
    }

    public CircuitBreakerConfig config() {
        return config;
    }


    /** The clock of this breaker's open periods and windows. */
    public Ticker ticker() {
        return ticker;
    }

    /** Connects this breaker to a cluster-wide board ({@code null} disconnects). */
    public CircuitBreaker bindBoard(BreakerBoard board) {
        this.board = board;
        if (board != null) {
            board.subscribe(name, this);
        }
        return this;
    }

    /** Hot path: true if a call may be made now. In CLOSED state this does no write. */
    public boolean tryAcquirePermission() {
        Phase p = phase;
        if (p.state == CircuitState.CLOSED) {
            return true;
        }
        return acquireSlow(p);
    }

    /**
     * True if {@link #tryAcquirePermission()} would refuse now whatever happens first: OPEN with time
     * left, FORCED_OPEN, or HALF_OPEN with every trial taken. Takes nothing and changes nothing, so a
     * caller can check it before taking other resources (a rate-limit permit) for a call.
     */
    public boolean refusesNow() {
        Phase p = phase;
        switch (p.state) {
            case CLOSED:
                return false;
            case OPEN:
                return ticker.nanoTime() - p.openUntilNanos < 0;
            case HALF_OPEN:
                return p.permits.get() <= 0;
            default:
                return true;
        }
    }

    /** True while CLOSED: the hot path's one volatile read. */
    public boolean isClosed() {
        return phase.state == CircuitState.CLOSED;
    }

    /** @param durationNanos the call's duration, or -1 if not timed (see {@link #needsTiming()}) */
    public void onSuccess(long durationNanos) {
        boolean slow = durationNanos >= slowNanos;
        // Fast path: a success can only lower the rates, so it is counted without the lock unless
        // the window says this one might decide something (see OutcomeWindow).
        if (!slow && phase.state == CircuitState.CLOSED && window.tryRecordFastSuccess()) {
            return;
        }
        record(false, slow, null);
    }

    /** @param durationNanos the call's duration, or -1 if not timed (see {@link #needsTiming()}) */
    public void onFailure(long durationNanos, Throwable failure) {
        record(true, durationNanos >= slowNanos, failure);
    }

    /** A permission was acquired but the call was not made. */
    public void releasePermission() {
        Phase p = phase;
        if (p.state == CircuitState.HALF_OPEN && p.returnPermit()) {
            BreakerBoard b = board;
            if (b != null) {
                try {
                    b.releaseTrial(name);
                } catch (RuntimeException e) {
                    LOG.warn("breaker board failed to release a trial of '{}'; ignored", name, e);
                }
            }
        }
    }

    /** True if outcomes must carry durations (slow-call threshold configured). */
    public boolean needsTiming() {
        return timing;
    }

    /**
     * The current state. An OPEN breaker whose open duration has passed still reports OPEN until
     * the next {@link #tryAcquirePermission()} moves it to HALF_OPEN.
     */
    public CircuitState state() {
        return phase.state;
    }

    /** Time left before an open breaker lets a trial through; zero unless OPEN. */
    public Duration remainingOpenTime() {
        Phase p = phase;
        if (p.state != CircuitState.OPEN) {
            return Duration.ZERO;
        }
        long left = p.openUntilNanos - ticker.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    public EventPublisher events() {
        return events;
    }

    /** A consistent snapshot of state and window (trial outcomes while HALF_OPEN). */
    public CircuitBreakerMetrics metrics() {
        synchronized (lock) {
            Phase p = phase;
            int calls;
            int failed;
            int slow;
            if (p.state == CircuitState.HALF_OPEN) {
                calls = p.completed;
                failed = p.failures;
                slow = p.slow;
            } else {
                calls = (int) Math.min(Integer.MAX_VALUE, window.calls(now()));
                failed = window.failures();
                slow = window.slowCalls();
            }
            return new CircuitBreakerMetrics(p.state, calls, failed, slow,
                calls == 0 ? 0.0 : (double) failed / calls, calls == 0 ? 0.0 : (double) slow / calls,
                notPermitted.sum(), consecutiveOpens);
        }
    }

    /** Opens the breaker now, for the (grown) open duration, as if the failure rate had been reached. */
    public void transitionToOpen() {
        synchronized (lock) {
            Phase p = phase;
            if (p.state != CircuitState.OPEN) {
                openLocked(p, null);
            }
        }
    }

    /** Opens the breaker until {@link #transitionToClosed()} or {@link #reset()}. */
    public void forceOpen() {
        synchronized (lock) {
            Phase p = phase;
            if (p.state != CircuitState.FORCED_OPEN) {
                transitionLocked(p, Phase.forcedOpen(), null, true);
            }
        }
    }

    /** Closes the breaker now with an empty window; the open-duration growth starts over. */
    public void transitionToClosed() {
        synchronized (lock) {
            Phase p = phase;
            if (p.state != CircuitState.CLOSED) {
                closeLocked(p, true);
            }
        }
    }

    /** Back to a new breaker's condition: CLOSED, empty window, no growth, refusal count zero. */
    public void reset() {
        synchronized (lock) {
            Phase p = phase;
            notPermitted.reset();
            if (p.state != CircuitState.CLOSED) {
                closeLocked(p, true);
            } else {
                window.clear(now());
                consecutiveOpens = 0;
            }
        }
    }

    /**
     * Applies a verdict reached elsewhere (delivered by a {@link BreakerBoard}); it is not
     * published back to the board. {@code OPEN} opens this breaker for {@code remainingOpen}
     * (or extends its open period to that); {@code HALF_OPEN} means another JVM runs the trials, so
     * this one refuses calls for {@code remainingOpen} too; {@code CLOSED} closes it;
     * {@code FORCED_OPEN} forces it open. A locally forced-open breaker is not downgraded to OPEN.
     */
    @Override
    public void applyRemote(CircuitState state, Duration remainingOpen) {
        Objects.requireNonNull(state, "state");
        synchronized (lock) {
            Phase p = phase;
            switch (state) {
                case OPEN:
                case HALF_OPEN: {
                    if (p.state == CircuitState.FORCED_OPEN) {
                        return;
                    }
                    long hold = remainingOpen == null || remainingOpen.isNegative() ? 0L : remainingOpen.toNanos();
                    long until = ticker.nanoTime() + hold;
                    if (p.state == CircuitState.OPEN) {
                        if (until - p.openUntilNanos > 0) {
                            phase = Phase.open(until, Duration.ofNanos(hold)); // longer hold, same state: no event
                        }
                        return;
                    }
                    if (consecutiveOpens == 0) {
                        consecutiveOpens = 1;
                    }
                    transitionLocked(p, Phase.open(until, Duration.ofNanos(hold)), null, false);
                    return;
                }
                case CLOSED:
                    if (p.state != CircuitState.CLOSED) {
                        closeLocked(p, false);
                    }
                    return;
                case FORCED_OPEN:
                    if (p.state != CircuitState.FORCED_OPEN) {
                        transitionLocked(p, Phase.forcedOpen(), null, false);
                    }
                    return;
                default:
                    throw new IllegalArgumentException("unknown state " + state);
            }
        }
    }

    /** How many trial calls this breaker lets through when half-open. */
    @Override
    public int trialsWanted() {
        return trials;
    }

    @Override
    public String toString() {
        return "CircuitBreaker{" + name + ", " + phase.state + '}';
    }

    // ---------------------------------------------------------------------------------------------

    private boolean acquireSlow(Phase p) {
        if (p.state == CircuitState.OPEN) {
            if (ticker.nanoTime() - p.openUntilNanos < 0) {
                return reject(p);
            }
            p = halfOpenAfter(p);
            if (p.state == CircuitState.CLOSED) {
                return true;
            }
        }
        if (p.state == CircuitState.HALF_OPEN && p.takePermit()) {
            BreakerBoard b = board;
            if (b == null || boardGrantsTrial(b)) {
                return true;
            }
            p.returnPermit();
        }
        return reject(p);
    }

    private boolean boardGrantsTrial(BreakerBoard b) {
        try {
            return b.tryAcquireTrial(name);
        } catch (RuntimeException e) {
            LOG.warn("breaker board failed to grant a trial of '{}'; running it locally", name, e);
            return true;
        }
    }

    /** Moves an expired OPEN phase to HALF_OPEN (once, whoever gets here first); returns the phase now. */
    private Phase halfOpenAfter(Phase open) {
        synchronized (lock) {
            Phase p = phase;
            if (p == open) {
                Phase half = Phase.halfOpen(trials);
                transitionLocked(p, half, null, true);
                return half;
            }
            return p;
        }
    }

    private boolean reject(Phase p) {
        notPermitted.increment();
        if (events.hasListeners()) {
            Duration left = p.state == CircuitState.OPEN
                ? Duration.ofNanos(Math.max(0L, p.openUntilNanos - ticker.nanoTime())) : Duration.ZERO;
            events.publish(new ResilienceEvent(EventType.BREAKER_REJECTED, name, ticker.epochMillis(), 0, left,
                p.state.name(), null));
        }
        return false;
    }

    private void record(boolean failure, boolean slow, Throwable cause) {
        synchronized (lock) {
            Phase p = phase;
            if (p.state == CircuitState.CLOSED) {
                if (window.record(now(), failure, slow)) {
                    openLocked(p, cause);
                }
            } else if (p.state == CircuitState.HALF_OPEN) {
                p.completed++;
                if (failure) {
                    p.failures++;
                }
                if (slow) {
                    p.slow++;
                }
                if (p.completed >= trials) {
                    if (rule.exceeds(p.failures, p.slow, p.completed)) {
                        openLocked(p, cause);
                    } else {
                        closeLocked(p, true);
                    }
                }
            }
            // OPEN, FORCED_OPEN: the call started before the breaker opened; nothing to learn.
        }
    }

    /** The time for the window, read only if it needs one (a count window never reads the clock). */
    private long now() {
        return window.needsClock() ? ticker.nanoTime() : 0L;
    }

    private void openLocked(Phase from, Throwable cause) {
        consecutiveOpens++;
        Duration d = config.openDurationFor(consecutiveOpens);
        transitionLocked(from, Phase.open(ticker.nanoTime() + d.toNanos(), d), cause, true);
    }

    private void closeLocked(Phase from, boolean publish) {
        consecutiveOpens = 0;
        window.clear(now());
        transitionLocked(from, Phase.closed(), null, publish);
    }

    private void transitionLocked(Phase from, Phase to, Throwable cause, boolean publish) {
        phase = to;
        if (events.hasListeners()) {
            events.publish(new ResilienceEvent(EventType.BREAKER_TRANSITION, name, ticker.epochMillis(), 0,
                to.openFor, from.state + "->" + to.state, cause));
        }
        BreakerBoard b = board;
        if (publish && b != null) {
            long until;
            switch (to.state) {
                case OPEN:
                    until = ticker.epochMillis() + to.openFor.toMillis();
                    break;
                case FORCED_OPEN:
                    until = Long.MAX_VALUE;
                    break;
                default:
                    until = 0L;
            }
            try {
                b.publish(name, to.state, until);
            } catch (RuntimeException e) {
                LOG.warn("breaker board failed to publish {} of '{}'; ignored", to.state, name, e);
            }
        }
    }

    /** One stay in a state. Immutable except the half-open trial bookkeeping. */
    private static final class Phase {
        final CircuitState state;
        final long openUntilNanos; // OPEN only
        final Duration openFor; // OPEN only, else ZERO
        final AtomicInteger permits; // HALF_OPEN only: trials still to hand out
        final int maxPermits;
        int completed; // HALF_OPEN trial outcomes, guarded by the breaker's lock
        int failures;
        int slow;

        private Phase(CircuitState state, long openUntilNanos, Duration openFor, int permits) {
            this.state = state;
            this.openUntilNanos = openUntilNanos;
            this.openFor = openFor;
            this.maxPermits = permits;
            this.permits = permits > 0 ? new AtomicInteger(permits) : null;
        }

        static Phase closed() {
            return new Phase(CircuitState.CLOSED, 0L, Duration.ZERO, 0);
        }

        static Phase open(long untilNanos, Duration openFor) {
            return new Phase(CircuitState.OPEN, untilNanos, openFor, 0);
        }

        static Phase halfOpen(int trials) {
            return new Phase(CircuitState.HALF_OPEN, 0L, Duration.ZERO, trials);
        }

        static Phase forcedOpen() {
            return new Phase(CircuitState.FORCED_OPEN, 0L, Duration.ZERO, 0);
        }

        boolean takePermit() {
            AtomicInteger a = permits;
            for (int n = a.get(); n > 0; n = a.get()) {
                if (a.compareAndSet(n, n - 1)) {
                    return true;
                }
            }
            return false;
        }

        boolean returnPermit() {
            AtomicInteger a = permits;
            for (int n = a.get(); n < maxPermits; n = a.get()) {
                if (a.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
            return false;
        }
    }
}
