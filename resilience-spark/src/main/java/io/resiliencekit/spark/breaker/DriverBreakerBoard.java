package io.resiliencekit.spark.breaker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.CircuitState;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.breaker.BoardMessages.Poll;
import io.resiliencekit.spark.breaker.BoardMessages.PollReply;
import io.resiliencekit.spark.breaker.BoardMessages.Publish;
import io.resiliencekit.spark.breaker.BoardMessages.TrialGrant;
import io.resiliencekit.spark.breaker.BoardMessages.TrialRequest;
import io.resiliencekit.spark.breaker.BoardMessages.Verdict;
import io.resiliencekit.time.Ticker;

/**
 * The application's circuit-breaker board, hosted on the driver by
 * {@link io.resiliencekit.spark.ResiliencePlugin}: one verdict per breaker name for all executors.
 *
 * <ul>
 *   <li>An executor's breaker that opens (or closes after successful trials, or is forced open)
 *       publishes it; the board bumps its version and every other executor applies it at its next
 *       poll ({@code spark.resiliencekit.breaker.pollInterval}), so one JVM's verdict stops all.</li>
 *   <li>When the open period ends, half-open trial calls are handed out cluster-wide: the first
 *       executor that asks owns the trials of that half-open period and gets up to
 *       {@code spark.resiliencekit.breaker.halfOpenTrials} of them (0: as many as its breaker's
 *       {@code permittedCallsInHalfOpen}); everyone else is refused until a verdict arrives, or
 *       until {@code breaker.trialTimeout} passes without one (the owner was lost).</li>
 * </ul>
 *
 * <pre>{@code
 * DriverBreakerBoard board = ResilienceCluster.driverServices().component(DriverBreakerBoard.class).orElseThrow();
 * board.snapshot("orders-api").state();
 * }</pre>
 *
 * Thread-safe (one lock; every operation is a few map updates). Times use the driver's wall clock;
 * executors get remaining durations, so their clocks need not agree with it.
 */
public final class DriverBreakerBoard {

    private static final Logger LOG = LoggerFactory.getLogger(DriverBreakerBoard.class);

    private final Ticker ticker;
    private final int halfOpenTrials;
    private final long trialTimeoutMillis;
    private final Map<String, Entry> entries = new HashMap<>();
    private long version;
    private final Counter verdicts;
    private final Counter trialsGranted;
    private final Counter trialsRefused;
    private final com.codahale.metrics.MetricRegistry metrics;

    public DriverBreakerBoard(PluginOptions options, Ticker ticker, com.codahale.metrics.MetricRegistry metrics) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.halfOpenTrials = options.breakerHalfOpenTrials();
        this.trialTimeoutMillis = options.breakerTrialTimeout().toMillis();
        this.verdicts = metrics.counter("breakers.verdicts");
        this.trialsGranted = metrics.counter("breakers.trials.granted");
        this.trialsRefused = metrics.counter("breakers.trials.refused");
        this.metrics = metrics;
        metrics.register("breakers.open", (Gauge<Integer>) this::openCount);
    }

    /** Registers the board's services with the plugin; driver code finds it as {@code services.component(DriverBreakerBoard.class)}. */
    public static DriverBreakerBoard install(DriverServices services, PluginOptions options, Ticker ticker) {
        DriverBreakerBoard board = new DriverBreakerBoard(options, ticker, services.metrics());
        services.register(BoardMessages.PUBLISH, board::publish);
        services.register(BoardMessages.POLL, (caller, poll) -> board.poll(poll));
        services.register(BoardMessages.TRIAL, board::requestTrials);
        services.attach(DriverBreakerBoard.class, board);
        return board;
    }

    /** A transition decided by {@code caller}'s breaker; returns the board's verdict afterwards. */
    public synchronized Verdict publish(String caller, Publish p) {
        Entry e = entry(p.breaker);
        long now = ticker.epochMillis();
        switch (p.state) {
            case OPEN:
                if (e.state != CircuitState.OPEN && e.state != CircuitState.HALF_OPEN) {
                    e.opens++;
                    if (e.firstOpenedAtMillis == 0) {
                        e.firstOpenedAtMillis = now;
                    }
                    e.lastOpenedAtMillis = now;
                }
                e.untilMillis = e.state == CircuitState.OPEN ? Math.max(e.untilMillis, p.untilEpochMillis) : p.untilEpochMillis;
                change(e, CircuitState.OPEN, caller);
                break;
            case FORCED_OPEN:
                e.untilMillis = Long.MAX_VALUE;
                change(e, CircuitState.FORCED_OPEN, caller);
                break;
            case CLOSED:
                if (e.state != CircuitState.CLOSED) {
                    e.closes++;
                    e.lastClosedAtMillis = now;
                    e.untilMillis = 0;
                    change(e, CircuitState.CLOSED, caller);
                }
                break;
            case HALF_OPEN:
                // Not relayed: the others' breakers reach half-open on their own timers and ask for
                // trials, which this board rations. Only note that trials may start.
                if (e.state == CircuitState.OPEN && now >= e.untilMillis) {
                    e.state = CircuitState.HALF_OPEN;
                }
                break;
            default:
                throw new IllegalArgumentException("unknown state " + p.state);
        }
        LOG.info("breaker '{}': {} from executor {} -> board {}", p.breaker, p.state, caller, verdict(e, now));
        return verdict(e, now);
    }

    /** Verdicts that changed after {@code poll.sinceVersion}. */
    public synchronized PollReply poll(Poll poll) {
        long now = ticker.epochMillis();
        List<Verdict> changed = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.version > poll.sinceVersion) {
                changed.add(verdict(e, now));
            }
        }
        return new PollReply(version, changed);
    }

    /** Hands out half-open trials; see the class comment. */
    public synchronized TrialGrant requestTrials(String caller, TrialRequest r) {
        Entry e = entry(r.breaker);
        long now = ticker.epochMillis();
        int granted = 0;
        boolean trialsAllowed = e.state == CircuitState.HALF_OPEN
                || (e.state == CircuitState.OPEN && now >= e.untilMillis);
        if (trialsAllowed) {
            e.state = CircuitState.HALF_OPEN;
            if (e.trialOwner != null && now - e.trialStartedMillis >= trialTimeoutMillis) {
                LOG.warn("breaker '{}': trials owned by executor {} did not conclude within {} ms; handing them out again",
                        r.breaker, e.trialOwner, trialTimeoutMillis);
                e.trialOwner = null;
            }
            if (e.trialOwner == null) {
                e.trialOwner = caller;
                e.trialStartedMillis = now;
                e.trialLimit = halfOpenTrials > 0 ? halfOpenTrials : Math.max(1, r.wanted);
                e.trialsGiven = 0;
            }
            if (e.trialOwner.equals(caller)) {
                granted = Math.max(0, Math.min(r.wanted, e.trialLimit - e.trialsGiven));
                e.trialsGiven += granted;
            }
        }
        if (granted > 0) {
            trialsGranted.inc(granted);
            e.trialsGrantedTotal += granted;
        } else {
            trialsRefused.inc();
        }
        return new TrialGrant(granted, verdict(e, now));
    }

    /** The board's view of one breaker (CLOSED with zero counts for a name never seen). */
    public synchronized Snapshot snapshot(String breaker) {
        Entry e = entries.get(breaker);
        if (e == null) {
            return new Snapshot(breaker, CircuitState.CLOSED, 0, 0, 0, 0, 0, 0, 0);
        }
        return new Snapshot(breaker, e.state, e.version, e.opens, e.closes, e.firstOpenedAtMillis,
                e.lastOpenedAtMillis, e.lastClosedAtMillis, e.trialsGrantedTotal);
    }

    /** Board-wide version: bumps on every relayed change. */
    public synchronized long version() {
        return version;
    }

    private synchronized int openCount() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (e.state != CircuitState.CLOSED) {
                n++;
            }
        }
        return n;
    }

    private void change(Entry e, CircuitState state, String origin) {
        e.state = state;
        e.origin = origin;
        e.version = ++version;
        e.trialOwner = null;
        e.trialsGiven = 0;
        verdicts.inc();
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            e = new Entry(name);
            entries.put(name, e);
            // 0 closed, 1 open, 2 half-open, 3 forced open: one gauge per breaker name
            Entry x = e;
            try {
                metrics.register("breaker." + name + ".state", (Gauge<Integer>) () -> stateCode(x));
            } catch (IllegalArgumentException alreadyThere) {
                // a name seen by an earlier board in this JVM (tests); keep the first gauge
            }
        }
        return e;
    }

    private int stateCode(Entry e) {
        synchronized (this) {
            return e.state.ordinal();
        }
    }

    private static Verdict verdict(Entry e, long now) {
        long remaining = e.state == CircuitState.OPEN ? Math.max(0, e.untilMillis - now)
                : e.state == CircuitState.FORCED_OPEN ? Long.MAX_VALUE : 0;
        return new Verdict(e.name, e.state, remaining, e.version, e.origin);
    }

    private static final class Entry {
        final String name;
        CircuitState state = CircuitState.CLOSED;
        long untilMillis;
        long version;
        String origin = "";
        String trialOwner;
        long trialStartedMillis;
        int trialLimit;
        int trialsGiven;
        long opens;
        long closes;
        long firstOpenedAtMillis;
        long lastOpenedAtMillis;
        long lastClosedAtMillis;
        long trialsGrantedTotal;

        Entry(String name) {
            this.name = name;
        }
    }

    /** What the board knows about one breaker, for reports and tests. */
    public static final class Snapshot {
        private final String breaker;
        private final CircuitState state;
        private final long version;
        private final long opens;
        private final long closes;
        private final long firstOpenedAtMillis;
        private final long lastOpenedAtMillis;
        private final long lastClosedAtMillis;
        private final long trialsGranted;

        Snapshot(String breaker, CircuitState state, long version, long opens, long closes, long firstOpenedAtMillis,
                 long lastOpenedAtMillis, long lastClosedAtMillis, long trialsGranted) {
            this.breaker = breaker;
            this.state = state;
            this.version = version;
            this.opens = opens;
            this.closes = closes;
            this.firstOpenedAtMillis = firstOpenedAtMillis;
            this.lastOpenedAtMillis = lastOpenedAtMillis;
            this.lastClosedAtMillis = lastClosedAtMillis;
            this.trialsGranted = trialsGranted;
        }

        public String breaker() { return breaker; }
        public CircuitState state() { return state; }
        public long version() { return version; }
        /** Times the board went from closed to open. */
        public long opens() { return opens; }
        public long closes() { return closes; }
        /** Driver wall-clock time of the first open verdict; 0 if never. */
        public long firstOpenedAtMillis() { return firstOpenedAtMillis; }
        public long lastOpenedAtMillis() { return lastOpenedAtMillis; }
        public long lastClosedAtMillis() { return lastClosedAtMillis; }
        public long trialsGranted() { return trialsGranted; }

        @Override
        public String toString() {
            return "Snapshot[" + breaker + " " + state + " v" + version + " opens=" + opens + " closes=" + closes
                    + " trialsGranted=" + trialsGranted + "]";
        }
    }
}
