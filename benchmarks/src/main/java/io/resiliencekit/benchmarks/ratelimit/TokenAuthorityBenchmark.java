package io.resiliencekit.benchmarks.ratelimit;

import io.resiliencekit.ratelimit.InProcessTokenAuthority;
import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.time.ManualTicker;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The token authority's grant, on one thread, with the default settings (burst one second of rate,
 * lease period 1 s, so leases of 500 ms), at C = 10, 1,000 and 10,000 clients.
 *
 * <ul>
 *   <li>{@code renew}: saturated clients renewing in round robin, 8 requests per client per second
 *       of virtual time (what a saturated client sends with a 500 ms lease), so every grant sees C
 *       live leases. The teardown fails the run if more than {@code R*T + B} was granted, or if a
 *       client got nothing.</li>
 *   <li>{@code firstAfterAllLapsed}: C clients got a lease, then none of them was heard from for
 *       2 s (every lease lapsed, nobody said it went idle: the worst case, each one's fallback is
 *       kept aside); the one request measured releases them all.</li>
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TokenAuthorityBenchmark -f 2 -wi 3 -w 1s -i 5 -r 1s -prof gc}
 */
public class TokenAuthorityBenchmark {

    static final double RATE = 10_000;
    static final long BURST = 10_000;
    static final long LEASE = 1_000_000_000L;

    @State(Scope.Thread)
    public static class Renewing {
        @Param({"10", "1000", "10000"})
        int clients;

        ManualTicker ticker;
        InProcessTokenAuthority authority;
        LeaseRequest[] requests;
        long[] granted;
        long step;
        long startNanos;
        long total;
        int next;

        @Setup(Level.Iteration)
        public void setUp() {
            ticker = new ManualTicker();
            authority = new InProcessTokenAuthority(ticker);
            requests = new LeaseRequest[clients];
            granted = new long[clients];
            double demand = 2 * RATE / clients; // each wants twice its share: the bucket is contended
            long wanted = Math.max(1, (long) Math.ceil(demand * 0.5));
            for (int i = 0; i < clients; i++) {
                requests[i] = new LeaseRequest("bench", "executor-" + i, RATE, BURST, LEASE, 0, wanted, demand);
            }
            step = 1_000_000_000L / (8L * clients);
            startNanos = ticker.nanoTime();
            total = 0;
            next = 0;
            for (int i = 0; i < clients; i++) { // every client has a lease before measuring
                grantNext();
            }
        }

        LeaseResponse grantNext() {
            ticker.advanceNanos(step);
            int i = next;
            next = i + 1 == clients ? 0 : i + 1;
            LeaseResponse r = authority.requestLease(requests[i]);
            granted[i] += r.grantedTokens();
            total += r.grantedTokens();
            return r;
        }

        @TearDown(Level.Iteration)
        public void check() {
            double seconds = (ticker.nanoTime() - startNanos) / 1e9;
            if (total > RATE * seconds + BURST) {
                throw new IllegalStateException("granted " + total + " in " + seconds + " s, above R*T + B = "
                    + (RATE * seconds + BURST));
            }
            if (seconds >= 2) {
                for (int i = 0; i < clients; i++) {
                    if (granted[i] == 0) {
                        throw new IllegalStateException("client " + i + " of " + clients + " got nothing in " + seconds + " s");
                    }
                }
            }
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public LeaseResponse renew(Renewing s) {
        return s.grantNext();
    }

    @State(Scope.Thread)
    public static class AllLapsed {
        @Param({"10", "1000", "10000"})
        int clients;

        ManualTicker ticker;
        InProcessTokenAuthority authority;
        LeaseRequest[] requests;
        LeaseRequest late;

        @Setup(Level.Trial)
        public void requests() {
            double demand = 2 * RATE / clients;
            requests = new LeaseRequest[clients];
            for (int i = 0; i < clients; i++) {
                requests[i] = new LeaseRequest("bench", "executor-" + i, RATE, BURST, LEASE, 0,
                    Math.max(1, (long) (demand * 0.5)), demand);
            }
            late = new LeaseRequest("bench", "executor-0", RATE, BURST, LEASE, 0, 100, demand);
        }

        // a fresh authority each time (the setup's garbage is kept small, so fewer GC pauses land in the sample)
        @Setup(Level.Invocation)
        public void setUp() {
            ticker = new ManualTicker();
            authority = new InProcessTokenAuthority(ticker);
            long step = 500_000_000L / clients; // leases granted over half a second
            for (LeaseRequest r : requests) {
                ticker.advanceNanos(step);
                authority.requestLease(r);
            }
            ticker.advanceNanos(2_000_000_000L);
        }
    }

    /** Sampled, so the percentiles show; each sample is one request on a freshly lapsed authority (set up untimed). */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public LeaseResponse firstAfterAllLapsed(AllLapsed s) {
        return s.authority.requestLease(s.late);
    }
}
