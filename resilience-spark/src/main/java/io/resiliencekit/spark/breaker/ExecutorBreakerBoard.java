package io.resiliencekit.spark.breaker;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.resiliencekit.spi.BreakerBoard;
import io.resiliencekit.CircuitState;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.breaker.BoardMessages.Poll;
import io.resiliencekit.spark.breaker.BoardMessages.PollReply;
import io.resiliencekit.spark.breaker.BoardMessages.Publish;
import io.resiliencekit.spark.breaker.BoardMessages.TrialGrant;
import io.resiliencekit.spark.breaker.BoardMessages.TrialRequest;
import io.resiliencekit.spark.breaker.BoardMessages.Verdict;

/**
 * This JVM's end of the driver's {@link DriverBreakerBoard}: a {@link BreakerBoard} that local
 * breakers are bound to: every breaker of a policy obtained from a runtime bound to the Spark
 * application ({@code spark.plugins}), unless its scope is {@code jvm}.
 *
 * <p>Never blocks the breaker's caller: verdicts are queued and sent in order by one background
 * thread; trial permits are fetched ahead (the first ask in a half-open period is refused while
 * the request is in flight, the next call uses the grant); other JVMs' verdicts arrive by polling
 * every {@code spark.resiliencekit.breaker.pollInterval}.
 */
public final class ExecutorBreakerBoard implements BreakerBoard {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorBreakerBoard.class);

    private final ClusterCoordinator coordinator;
    private final String me;
    private final Duration pollInterval;
    private final Duration refusedTrialHold;
    private final Map<String, Set<BreakerBoard.Member>> breakers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> trialCredits = new ConcurrentHashMap<>();
    private final Map<String, AtomicBoolean> trialAsked = new ConcurrentHashMap<>();
    private final ExecutorService sender;
    private final ScheduledExecutorService poller;
    private volatile long seenVersion;
    private volatile boolean closed;

    ExecutorBreakerBoard(ClusterCoordinator coordinator, PluginOptions options) {
        this(coordinator, options, false);
    }

    /** This JVM's board client for the plugin's coordinator; it stops when the coordinator shuts down. */
    public static ExecutorBreakerBoard connect(ClusterCoordinator coordinator, PluginOptions options) {
        return new ExecutorBreakerBoard(coordinator, options);
    }

    /** @param inline tests only: send on the caller's thread and do not poll in the background */
    ExecutorBreakerBoard(ClusterCoordinator coordinator, PluginOptions options, boolean inline) {
        this.coordinator = coordinator;
        this.me = coordinator.executorId();
        this.pollInterval = options.breakerPollInterval();
        this.refusedTrialHold = Duration.ofMillis(Math.max(250, 2 * options.breakerPollInterval().toMillis()));
        if (inline) {
            this.sender = null;
            this.poller = null;
        } else {
            this.sender = Executors.newSingleThreadExecutor(daemon("resiliencekit-board-send"));
            this.poller = Executors.newSingleThreadScheduledExecutor(daemon("resiliencekit-board-poll"));
            poller.scheduleWithFixedDelay(this::pollOnce, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
        coordinator.onShutdown(this::close);
    }

    /** A local breaker bound to this board: it receives other JVMs' verdicts from now on (idempotent). */
    @Override
    public void subscribe(String breakerName, BreakerBoard.Member member) {
        breakers.computeIfAbsent(breakerName, n -> ConcurrentHashMap.newKeySet()).add(member);
    }

    ClusterCoordinator coordinator() {
        return coordinator;
    }

    @Override
    public void publish(String breakerName, CircuitState state, long untilEpochMillis) {
        if (state != CircuitState.HALF_OPEN) {
            credits(breakerName).set(0); // a verdict ends the half-open period and its trials
        }
        submit(() -> {
            Verdict v = coordinator.ask(BoardMessages.PUBLISH, new Publish(breakerName, state, untilEpochMillis));
            LOG.debug("published {} of '{}'; board says {}", state, breakerName, v);
        });
    }

    @Override
    public boolean tryAcquireTrial(String breakerName) {
        AtomicInteger c = credits(breakerName);
        while (true) {
            int n = c.get();
            if (n <= 0) {
                break;
            }
            if (c.compareAndSet(n, n - 1)) {
                return true;
            }
        }
        AtomicBoolean asked = trialAsked.computeIfAbsent(breakerName, n -> new AtomicBoolean());
        if (asked.compareAndSet(false, true)) {
            int wanted = wantedTrials(breakerName);
            submit(() -> {
                try {
                    TrialGrant g = coordinator.ask(BoardMessages.TRIAL, new TrialRequest(breakerName, wanted));
                    if (g.granted > 0) {
                        c.addAndGet(g.granted);
                    } else {
                        onRefused(breakerName, g.current);
                    }
                } finally {
                    asked.set(false);
                }
            });
        }
        return false;
    }

    @Override
    public void releaseTrial(String breakerName) {
        credits(breakerName).incrementAndGet();
    }

    /** Polls the board once (also run by the background poller). */
    void pollOnce() {
        if (closed || breakers.isEmpty()) {
            return;
        }
        try {
            PollReply r = coordinator.ask(BoardMessages.POLL, new Poll(seenVersion));
            for (Verdict v : r.changed) {
                if (!me.equals(v.origin)) {
                    apply(v);
                }
            }
            seenVersion = r.version;
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.debug("breaker board poll failed: {}", e.toString());
            }
        }
    }

    private void onRefused(String name, Verdict current) {
        if (current.state == CircuitState.HALF_OPEN) {
            // another JVM runs the trials: hold off until its verdict arrives by poll
            for (BreakerBoard.Member b : breakers.getOrDefault(name, Set.of())) {
                b.applyRemote(CircuitState.HALF_OPEN, refusedTrialHold);
            }
        } else {
            apply(current);
        }
    }

    private void apply(Verdict v) {
        Set<BreakerBoard.Member> local = breakers.get(v.breaker);
        if (local == null) {
            return;
        }
        if (v.state != CircuitState.HALF_OPEN) {
            credits(v.breaker).set(0);
        }
        for (BreakerBoard.Member b : local) {
            switch (v.state) {
                case OPEN:
                    b.applyRemote(CircuitState.OPEN, Duration.ofMillis(v.remainingMillis));
                    break;
                case FORCED_OPEN:
                    b.applyRemote(CircuitState.FORCED_OPEN, Duration.ZERO);
                    break;
                case CLOSED:
                    b.applyRemote(CircuitState.CLOSED, Duration.ZERO);
                    break;
                default:
                    break;
            }
        }
        LOG.info("breaker '{}' on executor {}: applied board verdict {}", v.breaker, me, v);
    }

    private int wantedTrials(String name) {
        int wanted = 1;
        for (BreakerBoard.Member b : breakers.getOrDefault(name, Set.of())) {
            wanted = Math.max(wanted, b.trialsWanted());
        }
        return wanted;
    }

    private AtomicInteger credits(String name) {
        return trialCredits.computeIfAbsent(name, n -> new AtomicInteger());
    }

    private void submit(Runnable r) {
        if (closed) {
            return;
        }
        Runnable guarded = () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("breaker board request failed: {}", e.toString());
            }
        };
        if (sender == null) {
            guarded.run();
            return;
        }
        try {
            sender.execute(guarded);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    void close() {
        closed = true;
        if (poller != null) {
            poller.shutdownNow();
            sender.shutdownNow();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
