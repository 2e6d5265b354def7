package io.resiliencekit.spark.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.Test;

import io.resiliencekit.spark.ClusterCoordinationException;
import io.resiliencekit.spark.ClusterCoordinator;
import io.resiliencekit.spark.PluginOptions;
import io.resiliencekit.spark.ServiceKey;
import io.resiliencekit.time.ManualTicker;

/**
 * The lease protocol on virtual time, without Spark: several clients hammering one driver-side
 * bucket never get more than R*w + B in any window, and together use at least 95% of R.
 */
class ClusterRateLimiterTest {

    static final double RATE = 100;
    static final long BURST = 10;

    final ManualTicker ticker = new ManualTicker();
    final DriverTokenAuthority authority = new DriverTokenAuthority(PluginOptions.defaults(), ticker, new MetricRegistry());

    /** Delivers each request synchronously, as executor {@code id}; can be cut off. */
    final class DirectCoordinator implements ClusterCoordinator {
        final String id;
        boolean down;

        DirectCoordinator(String id) {
            this.id = id;
        }

        @Override
        public String executorId() {
            return id;
        }

        @Override
        public boolean isDriverLocal() {
            return false;
        }

        @Override
        public <Q extends Serializable, R extends Serializable> R ask(ServiceKey<Q, R> key, Q request) {
            if (down) {
                throw new ClusterCoordinationException(key.name(), "driver lost (test)", null);
            }
            return key.responseType().cast(authority.lease(id, (LeaseMessages.LeaseRequest) request));
        }

        @Override
        public <Q extends Serializable, R extends Serializable> CompletableFuture<R> askAsync(ServiceKey<Q, R> key, Q request) {
            try {
                return CompletableFuture.completedFuture(ask(key, request));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public <Q extends Serializable> void send(ServiceKey<Q, ?> key, Q request) {
            ask(key, request);
        }
    }

    @Test
    void threeGreedyClientsStayUnderRwPlusBAndUseTheRate() {
        List<ClusterRateLimiter> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(new ClusterRateLimiter("api", RATE, BURST, ticker, new DirectCoordinator("e" + i)));
        }
        List<Long> admitted = new ArrayList<>();
        long step = 250_000; // 0.25 ms
        long end = 20_000_000_000L; // 20 s of virtual time
        for (long t = 0; t < end; t += step) {
            for (ClusterRateLimiter c : clients) {
                for (int k = 0; k < 3 && c.tryAcquire(1); k++) {
                    admitted.add(ticker.nanoTime());
                }
            }
            ticker.advanceNanos(step);
        }
        long max = maxInWindow(admitted, 1_000_000_000L);
        assertThat(max).as("admitted in any 1 s window").isLessThanOrEqualTo((long) RATE + BURST);
        double utilisation = admitted.size() / (RATE * end / 1e9 + BURST);
        System.out.printf("3 clients, R=%s B=%s: max in 1 s = %d, admitted %d, utilisation %.4f%n",
                RATE, BURST, max, admitted.size(), utilisation);
        assertThat(utilisation).as("share of R*T + B used").isGreaterThanOrEqualTo(0.95);
        assertThat(authority.stats("api").granted()).isGreaterThanOrEqualTo(admitted.size());
    }

    @Test
    void aSkewedClientGetsTheWholeRateWhenTheOthersAreIdle() {
        ClusterRateLimiter busy = new ClusterRateLimiter("api", RATE, BURST, ticker, new DirectCoordinator("busy"));
        ClusterRateLimiter idle = new ClusterRateLimiter("api", RATE, BURST, ticker, new DirectCoordinator("idle"));
        idle.tryAcquire(1);
        int n = 0;
        for (long t = 0; t < 10_000_000_000L; t += 500_000) {
            while (busy.tryAcquire(1)) {
                n++;
            }
            ticker.advanceNanos(500_000);
        }
        assertThat(n).as("no static division by the number of executors").isGreaterThanOrEqualTo((int) (0.95 * RATE * 10));
    }

    @Test
    void withoutTheDriverItFallsBackToASafeShareNeverToUnlimited() {
        DirectCoordinator a = new DirectCoordinator("a");
        DirectCoordinator b = new DirectCoordinator("b");
        ClusterRateLimiter la = new ClusterRateLimiter("api", RATE, BURST, ticker, a);
        ClusterRateLimiter lb = new ClusterRateLimiter("api", RATE, BURST, ticker, b);
        for (int i = 0; i < 100; i++) { // both known to the driver
            la.tryAcquire(1);
            lb.tryAcquire(1);
            ticker.advanceNanos(10_000_000);
        }
        a.down = true;
        ticker.advanceNanos(DriverTokenAuthority.LEASE_NANOS); // a's lease lapses
        int n = 0;
        for (long t = 0; t < 10_000_000_000L; t += 1_000_000) {
            while (la.tryAcquire(1)) {
                n++;
            }
            ticker.advanceNanos(1_000_000);
        }
        assertThat(n).as("about R/2 per second for 10 s").isBetween((int) (RATE / 2 * 10 * 0.9), (int) (RATE / 2 * 10 + 2));
        a.down = false;
        ticker.advanceNanos(1_100_000_000L);
        la.tryAcquire(1);
        int m = 0;
        for (long t = 0; t < 1_000_000_000L; t += 1_000_000) {
            while (la.tryAcquire(1)) {
                m++;
            }
            ticker.advanceNanos(1_000_000);
        }
        assertThat(m).as("back on leases: the full rate again").isGreaterThan((int) (RATE * 0.9));
    }

    static long maxInWindow(List<Long> times, long window) {
        List<Long> t = new ArrayList<>(times);
        Collections.sort(t);
        long best = 0;
        int lo = 0;
        for (int hi = 0; hi < t.size(); hi++) {
            while (t.get(hi) - t.get(lo) >= window) {
                lo++;
            }
            best = Math.max(best, hi - lo + 1);
        }
        return best;
    }

}
