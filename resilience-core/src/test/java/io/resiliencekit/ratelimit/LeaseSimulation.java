package io.resiliencekit.ratelimit;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;

/**
 * Several leased clients on one in-process authority, on virtual time in 1 ms steps. Each step runs
 * due background work, then lets every client try as many permits as its demand says. Records
 * admissions per millisecond (all clients) and per client per second.
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

    LeaseSimulation(double rate, long burst, int clients, Duration leasePeriod) {
        this.rate = rate;
        this.burst = burst;
        this.clients = clients;
        this.buckets = new LeasedTokenBucket[clients];
        for (int i = 0; i < clients; i++) {
            buckets[i] = TokenBucket.builder("sim").rate(rate).burst(burst).leasePeriod(leasePeriod)
                .ticker(ticker).scheduler(scheduler).clientId("client-" + i).buildLeased(authority);
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
