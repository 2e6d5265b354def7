package io.resiliencekit.ratelimit;

import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.function.LongToDoubleFunction;

/**
 * Leased clients on one in-process authority sending, on virtual time in 1 ms steps, to a model of
 * an API with a hidden limit: a token bucket of rate {@code limit(ms)} and a burst of one second of
 * it ({@link #apiBurstSeconds}), which answers a call above it with a throttle (counted, and reported to the client's
 * limiter as the policy's engine does: {@code onThrottled(hint)}, the hint capped at 10 s, the
 * default {@code retryAfterCap}). Every client is saturated (it tries until its limiter refuses).
 */
final class ThrottledApiSimulation {

    /** What the API says when it throttles. */
    enum Hint {
        /** A bare 429. */
        NONE,
        /** {@code Retry-After} in whole seconds, rounded up, at least 1 (FlakyApiServer's). */
        WHOLE_SECONDS
    }

    final ManualTicker ticker = new ManualTicker();
    final VirtualScheduler scheduler = new VirtualScheduler(ticker, 1_000_000L);
    final InProcessTokenAuthority authority = new InProcessTokenAuthority(ticker);
    final LeasedTokenBucket[] clients;
    final LongToDoubleFunction limit;
    final Hint hint;
    long[] acceptedPerMs;
    long[] throttledPerMs;
    double[] ratePerMs;   // the authority's rate, sampled every ms
    double[] limitPerMs;
    private double apiTokens;
    private double apiBurst;
    double apiBurstSeconds = 1;

    /**
     * @param builder the clients' limiter (rate, burst, lease, throttle scope), built once per client
     * @param limit   the API's hidden limit (permits per second) at each millisecond
     */
    ThrottledApiSimulation(int clients, TokenBucketBuilder builder, LongToDoubleFunction limit, Hint hint) {
        this.clients = new LeasedTokenBucket[clients];
        for (int i = 0; i < clients; i++) {
            this.clients[i] = builder.ticker(ticker).scheduler(scheduler).clientId("client-" + i).buildLeased(authority);
        }
        this.limit = limit;
        this.hint = hint;
    }

    ThrottledApiSimulation run(long millis) {
        acceptedPerMs = new long[(int) millis];
        throttledPerMs = new long[(int) millis];
        ratePerMs = new double[(int) millis];
        limitPerMs = new double[(int) millis];
        String name = clients[0].name();
        for (int ms = 0; ms < millis; ms++) {
            double l = limit.applyAsDouble(ms);
            limitPerMs[ms] = l;
            apiBurst = Math.max(1, l * apiBurstSeconds);
            apiTokens = Math.min(apiBurst, ms == 0 ? apiBurst : apiTokens + l / 1000);
            scheduler.runDue();
            for (int k = 0; k < clients.length; k++) {
                LeasedTokenBucket c = clients[(k + ms) % clients.length];
                for (int j = 0; j < 100_000 && c.tryAcquire(1); j++) {
                    if (apiTokens >= 1) {
                        apiTokens -= 1;
                        acceptedPerMs[ms]++;
                    } else {
                        throttledPerMs[ms]++;
                        c.onThrottled(hint == Hint.NONE ? Duration.ZERO : Duration.ofSeconds(
                            Math.max(1, (long) Math.ceil((1 - apiTokens) / l))));
                    }
                }
            }
            ratePerMs[ms] = authority.currentRate(name);
            ticker.advance(Duration.ofMillis(1));
        }
        return this;
    }

    long accepted(long fromMs, long toMs) {
        return sum(acceptedPerMs, fromMs, toMs);
    }

    long throttled(long fromMs, long toMs) {
        return sum(throttledPerMs, fromMs, toMs);
    }

    /** What the API would have accepted in [from, to): its limit integrated. */
    double capacity(long fromMs, long toMs) {
        double c = 0;
        for (int i = (int) fromMs; i < toMs; i++) {
            c += limitPerMs[i] / 1000;
        }
        return c;
    }

    /** The first millisecond from which the accepted rate over every following second is at least {@code share} of the limit. */
    long convergedAt(double share, long fromMs, long toMs) {
        for (long t = fromMs; t + 1000 <= toMs; t += 100) {
            boolean ok = true;
            for (long u = t; u + 1000 <= Math.min(toMs, t + 5000); u += 500) {
                if (accepted(u, u + 1000) < share * capacity(u, u + 1000)) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                return t;
            }
        }
        return -1;
    }

    /** Accepted per second over a sliding second, sampled every 100 ms (for charts). */
    double[] acceptedPerSecond() {
        int n = acceptedPerMs.length / 100;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            long end = (i + 1) * 100L;
            out[i] = accepted(Math.max(0, end - 1000), end) * 1000.0 / Math.min(1000, end);
        }
        return out;
    }

    double[] sampled(double[] perMs) {
        int n = perMs.length / 100;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = perMs[i * 100 + 99];
        }
        return out;
    }

    private static long sum(long[] a, long from, long to) {
        long s = 0;
        for (int i = (int) from; i < to; i++) {
            s += a[i];
        }
        return s;
    }
}
