package io.resiliencekit.ratelimit;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Several leased clients on one in-process authority, on virtual time in 1 ms steps. Each step runs
 * due background work, then lets every client try as many permits as its demand says. Records
 * admissions per millisecond (all clients) and per client per second. By default the authority
 * answers at once; with a round trip ({@link SlowAuthority}) answers take virtual time to arrive.
 */
final class LeaseSimulation {

    /** Permits a client tries in one millisecond; {@link #SATURATED} means "until refused". */
    interface Demand {
        int attempts(int client, long ms);
    }

    static final int SATURATED = Integer.MAX_VALUE;

    final double rate;
    final long burst;
    final int clients;
    final ManualTicker ticker = new ManualTicker();
    final VirtualScheduler scheduler = new VirtualScheduler(ticker, 1_000_000L);
    final InProcessTokenAuthority inner = new InProcessTokenAuthority(ticker);
    final SwitchableAuthority authority = new SwitchableAuthority(inner);
    final SlowAuthority slow; // null: the authority answers at once
    final LeasedTokenBucket[] buckets;
    long[] perMs;
    long[][] perClientMs;
    long[] requestsAt;

    /** An authority that can be "stopped": while down, every request fails as if unreachable. */
    static final class SwitchableAuthority implements TokenAuthority {
        final TokenAuthority delegate;
        volatile boolean up = true;
        long calls;

        SwitchableAuthority(TokenAuthority delegate) {
            this.delegate = delegate;
        }

        @Override
        public LeaseResponse requestLease(LeaseRequest request) {
            calls++;
            if (!up) {
                throw new TokenAuthorityException("authority stopped");
            }
            return delegate.requestLease(request);
        }
    }

    /**
     * A slow authority on virtual time: a request reaches the authority (which grants then, at its
     * own time) half a round trip after it was sent, and the answer reaches the client a whole round
     * trip after; each round trip is drawn from a seeded jitter of +-10% around the mean. The client
     * blocks on its request as it would on the network: every scheduler task runs on a thread of its
     * own and the simulation thread waits until that thread has finished or is blocked on an answer,
     * so only one thread runs at a time and a run is repeatable. Nothing waits on real time.
     */
    static final class SlowAuthority implements TokenAuthority {
        private final TokenAuthority delegate;
        private final ManualTicker ticker;
        private final long meanRoundTripNanos;
        private final Random random;
        private final Semaphore quiet = new Semaphore(0); // a task thread finished or blocked
        private final List<Call> pending = new ArrayList<>();
        private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lease-sim-task");
            t.setDaemon(true);
            return t;
        });
        private final Thread simulation = Thread.currentThread();

        private static final class Call {
            final LeaseRequest request;
            final long grantAt;
            final long deliverAt;
            final Semaphore answered = new Semaphore(0);
            boolean granted;
            LeaseResponse response;
            RuntimeException failure;

            Call(LeaseRequest request, long grantAt, long deliverAt) {
                this.request = request;
                this.grantAt = grantAt;
                this.deliverAt = deliverAt;
            }
        }

        SlowAuthority(TokenAuthority delegate, ManualTicker ticker, long meanRoundTripNanos, long seed) {
            this.delegate = delegate;
            this.ticker = ticker;
            this.meanRoundTripNanos = meanRoundTripNanos;
            this.random = new Random(seed);
        }

        /** Runs a scheduler task on a thread of its own, back when it has finished or waits for an answer. */
        void run(Runnable task) {
            threads.execute(() -> {
                try {
                    task.run();
                } finally {
                    quiet.release();
                }
            });
            quiet.acquireUninterruptibly();
        }

        @Override
        public LeaseResponse requestLease(LeaseRequest request) {
            if (Thread.currentThread() == simulation) {
                throw new IllegalStateException("a lease request on the simulation thread would wait for itself");
            }
            long now = ticker.nanoTime();
            long rtt = (long) (meanRoundTripNanos * (0.9 + 0.2 * random.nextDouble()));
            Call c = new Call(request, now + rtt / 2, now + rtt);
            synchronized (pending) {
                pending.add(c);
            }
            quiet.release(); // the simulation goes on until the answer arrives
            c.answered.acquireUninterruptibly();
            if (c.failure != null) {
                throw c.failure;
            }
            return c.response;
        }

        /** Grants the requests that have reached the authority, then delivers the answers that have reached their clients. */
        void deliverDue() {
            long now = ticker.nanoTime();
            List<Call> due;
            synchronized (pending) {
                due = new ArrayList<>(pending);
            }
            due.sort(Comparator.comparingLong(c -> c.grantAt));
            for (Call c : due) {
                if (!c.granted && c.grantAt <= now) {
                    c.granted = true;
                    try {
                        c.response = delegate.requestLease(c.request);
                    } catch (RuntimeException e) {
                        c.failure = e;
                    }
                }
            }
            due.sort(Comparator.comparingLong(c -> c.deliverAt));
            for (Call c : due) {
                if (c.granted && c.deliverAt <= now) {
                    answer(c);
                }
            }
        }

        private void answer(Call c) {
            synchronized (pending) {
                pending.remove(c);
            }
            c.answered.release();
            quiet.acquireUninterruptibly(); // its client has handled the answer
        }

        /** Fails the requests still under way, so no task thread stays blocked, and stops the threads. */
        void finish() {
            List<Call> left;
            synchronized (pending) {
                left = new ArrayList<>(pending);
            }
            for (Call c : left) {
                if (!c.granted) {
                    c.failure = new TokenAuthorityException("simulation over");
                }
                answer(c);
            }
            threads.shutdown();
        }
    }

    LeaseSimulation(double rate, long burst, int clients, Duration leasePeriod) {
        this(rate, burst, clients, leasePeriod, 0, 0);
    }

    /** With {@code roundTripNanos > 0}, the authority answers after that round trip (seeded jitter, see {@link SlowAuthority}). */
    LeaseSimulation(double rate, long burst, int clients, Duration leasePeriod, long roundTripNanos, long seed) {
        this.rate = rate;
        this.burst = burst;
        this.clients = clients;
        this.buckets = new LeasedTokenBucket[clients];
        this.slow = roundTripNanos > 0 ? new SlowAuthority(authority, ticker, roundTripNanos, seed) : null;
        if (slow != null) {
            scheduler.runWith(slow::run);
        }
        TokenAuthority clientsSee = slow != null ? slow : authority;
        for (int i = 0; i < clients; i++) {
            buckets[i] = TokenBucket.builder("sim").rate(rate).burst(burst).leasePeriod(leasePeriod)
                .ticker(ticker).scheduler(scheduler).clientId("client-" + i).buildLeased(clientsSee);
        }
    }

    /** Runs {@code millis} steps; {@code hook} (may be null) runs at the start of each step. */
    LeaseSimulation run(long millis, Demand demand, java.util.function.LongConsumer hook) {
        perMs = new long[(int) millis];
        perClientMs = new long[clients][(int) millis];
        requestsAt = new long[(int) (millis / 1000 + 1)];
        for (long ms = 0; ms < millis; ms++) {
            if (hook != null) {
                hook.accept(ms);
            }
            long before = authority.calls;
            if (slow != null) {
                slow.deliverDue();
            }
            scheduler.runDue();
            requestsAt[(int) (ms / 1000)] += authority.calls - before;
            for (int k = 0; k < clients; k++) {
                int i = (int) ((k + ms) % clients); // rotate who goes first
                int a = demand.attempts(i, ms);
                int admitted = 0;
                if (a == SATURATED) {
                    for (int j = 0; j < 1_000_000 && buckets[i].tryAcquire(1); j++) {
                        admitted++;
                    }
                } else {
                    for (int j = 0; j < a; j++) {
                        if (buckets[i].tryAcquire(1)) {
                            admitted++;
                        }
                    }
                }
                perMs[(int) ms] += admitted;
                perClientMs[i][(int) ms] += admitted;
            }
            ticker.advance(Duration.ofMillis(1));
        }
        if (slow != null) {
            slow.finish();
        }
        return this;
    }

    /** Largest number admitted in any window of {@code windowMs} consecutive milliseconds within [from, to). */
    long maxInWindow(int windowMs, long fromMs, long toMs) {
        return maxInWindow(perMs, windowMs, fromMs, toMs);
    }

    /** The same for any per-millisecond counts (other simulations share it). */
    static long maxInWindow(long[] perMs, int windowMs, long fromMs, long toMs) {
        long sum = 0;
        long max = 0;
        for (int i = (int) fromMs; i < toMs; i++) {
            sum += perMs[i];
            if (i - fromMs >= windowMs) {
                sum -= perMs[i - windowMs];
            }
            max = Math.max(max, sum);
        }
        return max;
    }

    long admitted(long fromMs, long toMs) {
        return sum(perMs, fromMs, toMs);
    }

    static long sum(long[] perMs, long fromMs, long toMs) {
        long s = 0;
        for (int i = (int) fromMs; i < toMs; i++) {
            s += perMs[i];
        }
        return s;
    }

    long admittedBy(int client, long fromMs, long toMs) {
        long s = 0;
        for (int i = (int) fromMs; i < toMs; i++) {
            s += perClientMs[client][i];
        }
        return s;
    }

    long leaseNanos() {
        return buckets[0].leasePeriod().toNanos();
    }
}
