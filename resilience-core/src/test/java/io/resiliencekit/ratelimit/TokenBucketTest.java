package io.resiliencekit.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.event.EventType;
import io.resiliencekit.event.ResilienceEvent;
import io.resiliencekit.time.ManualTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private final ManualTicker ticker = new ManualTicker();

    private TokenBucket bucket(double rate, long burst) {
        return TokenBucket.builder("t").rate(rate).burst(burst).ticker(ticker).build();
    }

    @Test
    void startsFull_thenAdmitsAtTheRate() {
        TokenBucket b = bucket(10, 5); // slice 0 at this rate: plain GCRA
        for (int i = 0; i < 5; i++) {
            assertThat(b.tryAcquire(1)).isTrue();
        }
        assertThat(b.tryAcquire(1)).isFalse();
        ticker.advance(Duration.ofMillis(99));
        assertThat(b.tryAcquire(1)).isFalse();
        ticker.advance(Duration.ofMillis(1));
        assertThat(b.tryAcquire(1)).isTrue();
        assertThat(b.tryAcquire(1)).isFalse();
    }

    @Test
    void idleTimeNeverAccumulatesBeyondBurst() {
        TokenBucket b = bucket(1000, 100);
        ticker.advance(Duration.ofHours(1));
        int admitted = 0;
        while (b.tryAcquire(1)) {
            admitted++;
        }
        assertThat(admitted).isBetween((int) b.maxPermitsPerRequest(), 100);
    }

    /** The user's guarantee, checked on random traffic for many rates: any window w admits at most R*w + B. */
    @Test
    void randomTraffic_neverExceedsRateTimesWindowPlusBurst() {
        SplittableRandom random = new SplittableRandom(42);
        double[] rates = {3, 100, 1000, 50_000, 2_000_000};
        for (double rate : rates) {
            long burst = 1 + random.nextInt((int) Math.min(rate * 2, 100_000));
            ManualTicker t = new ManualTicker();
            TokenBucket b = TokenBucket.builder("r").rate(rate).burst(burst).ticker(t).build();
            int steps = 20_000;
            long stepNanos = (long) Math.max(1_000, 2e9 / rate); // some steps below, some above one permit
            long[] perStep = new long[steps];
            long[] at = new long[steps];
            for (int i = 0; i < steps; i++) {
                at[i] = t.nanoTime();
                int tries = random.nextInt(4) == 0 ? random.nextInt((int) Math.min(burst * 2, 10_000) + 1) : random.nextInt(3);
                for (int j = 0; j < tries; j++) {
                    int n = 1 + (random.nextInt(8) == 0 ? random.nextInt((int) Math.min(b.maxPermitsPerRequest(), 5)) : 0);
                    if (b.tryAcquire(n)) {
                        perStep[i] += n;
                    }
                }
                t.advanceNanos(random.nextInt(4) == 0 ? stepNanos * random.nextInt(20) : random.nextLong(stepNanos));
            }
            long total = 0;
            for (long x : perStep) {
                total += x;
            }
            assertThat(total).as("rate %s admits something", rate).isPositive();
            // every window [at[i], at[j]] (closed); worst excess over R*w + B must not be positive
            double worst = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < steps; i += 3) {
                long sum = 0;
                for (int j = i; j < steps && j < i + 3000; j++) {
                    sum += perStep[j];
                    worst = Math.max(worst, sum - (rate * (at[j] - at[i]) / 1e9 + burst));
                }
            }
            assertThat(worst).as("rate %s burst %s: worst excess over R*w + B", rate, burst).isLessThanOrEqualTo(0);
            assertThat(worst).as("the traffic reaches the bound's neighbourhood").isGreaterThan(-burst - rate);
        }
    }

    @Test
    void highRate_usesSlices_andStillHoldsTheBurst() {
        TokenBucket b = bucket(1_000_000, 10_000);
        assertThat(b.sliceSize()).isEqualTo(1000);
        long admitted = 0;
        while (b.tryAcquire(1)) {
            admitted++;
        }
        assertThat(admitted).isBetween(9_000L, 10_000L);
        ticker.advance(Duration.ofMillis(10));
        long more = 0;
        while (b.tryAcquire(1)) {
            more++;
        }
        assertThat(more).isBetween(9_000L, 10_000L + 1000); // refilled 10 ms worth, never more than R*w + B overall
        assertThat(admitted + more).isLessThanOrEqualTo(10_000 + 10_000);
    }

    @Test
    void acquire_waitsOnTheTicker_andReportsTheWait() throws InterruptedException {
        TokenBucket b = bucket(10, 1);
        assertThat(b.acquire(1, Duration.ofSeconds(1))).isZero();
        long waited = b.acquire(1, Duration.ofSeconds(1));
        assertThat(waited).isEqualTo(100_000_000L);
        assertThat(ticker.sleptNanos()).isEqualTo(100_000_000L);
    }

    @Test
    void acquire_givesUpWithoutTakingPermits_whenTheWaitIsTooLong() throws InterruptedException {
        TokenBucket b = bucket(10, 1);
        assertThat(b.tryAcquire(1)).isTrue();
        assertThat(b.acquire(1, Duration.ofMillis(50))).isEqualTo(-1);
        assertThat(ticker.sleptNanos()).isZero();
        ticker.advance(Duration.ofMillis(100));
        assertThat(b.tryAcquire(1)).isTrue(); // nothing was taken by the failed acquire
    }

    @Test
    void acquire_isInterruptible_andGivesThePermitsBack() {
        TokenBucket b = bucket(10, 1);
        assertThat(b.tryAcquire(1)).isTrue();
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> b.acquire(1, Duration.ofSeconds(1))).isInstanceOf(InterruptedException.class);
        // interrupted while waiting (ManualTicker.sleepNanos honours interrupts)
        b.reserve(1); // someone queues: next free slot is now 200 ms away
        Thread t = Thread.currentThread();
        t.interrupt();
        assertThatThrownBy(() -> b.acquire(1, Duration.ofSeconds(5))).isInstanceOf(InterruptedException.class);
        ticker.advance(Duration.ofMillis(200));
        assertThat(b.tryAcquire(1)).as("the interrupted acquire's permit went back").isTrue();
    }

    @Test
    void reserve_takesNow_andSaysHowLongToWait() {
        TokenBucket b = bucket(10, 2);
        assertThat(b.reserve(2)).isZero();
        assertThat(b.reserve(1)).isEqualTo(100_000_000L);
        assertThat(b.reserve(1)).isEqualTo(200_000_000L);
        assertThat(b.tryAcquire(1)).isFalse();
        assertThatThrownBy(() -> b.reserve(3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'t'");
    }

    @Test
    void onThrottled_pausesAdmissionsForTheHint_thenResumesAtTheRate() {
        TokenBucket b = bucket(100_000, 1_000);
        List<ResilienceEvent> events = new ArrayList<>();
        b.events().register(events::add);
        assertThat(b.tryAcquire(1)).isTrue();
        b.onThrottled(Duration.ofSeconds(2));
        ticker.advance(Duration.ofMillis(1999));
        assertThat(b.tryAcquire(1)).isFalse();
        ticker.advance(Duration.ofMillis(1));
        ticker.advance(Duration.ofMillis(1));
        assertThat(b.tryAcquire(1)).isTrue();
        assertThat(events).extracting(ResilienceEvent::type).containsExactly(EventType.THROTTLED);
    }

    @Test
    void twoThreads_neverAdmitMoreThanTheBucketHolds() throws Exception {
        TokenBucket b = bucket(1_000_000, 100_000); // clock stands still: exactly what the bucket holds, no more
        long[] counts = new long[2];
        Thread[] threads = new Thread[2];
        for (int k = 0; k < 2; k++) {
            int id = k;
            threads[k] = new Thread(() -> {
                for (int i = 0; i < 200_000; i++) {
                    if (b.tryAcquire(1)) {
                        counts[id]++;
                    }
                }
            });
            threads[k].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(counts[0] + counts[1]).isBetween(b.maxPermitsPerRequest(), 100_000L);
    }

    @Test
    void invalidPermits() {
        TokenBucket b = bucket(10, 5);
        assertThat(b.tryAcquire(0)).isTrue();
        assertThatThrownBy(() -> b.tryAcquire(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.tryAcquire(6)).isFalse();
    }
}
