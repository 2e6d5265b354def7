package io.resiliencekit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EventLogTest {

    private static final long MS = 1_000_000L;

    @Test
    void maxInWindowIsExactOverHalfOpenIntervals() {
        EventLog log = new EventLog();
        // out of order on purpose: handler threads append out of order
        for (long t : new long[] {500 * MS, 0, 100 * MS, 999 * MS, 1000 * MS, 1001 * MS, 2500 * MS}) {
            log.add(t);
        }
        assertThat(log.maxInWindow(Duration.ofSeconds(1))).isEqualTo(5); // [100 ms, 1100 ms) holds 100, 500, 999, 1000, 1001
        assertThat(log.maxInWindow(Duration.ofMillis(2))).isEqualTo(2);
        assertThat(log.maxInWindow(Duration.ofMillis(1))).isEqualTo(1);
        assertThat(log.maxInWindow(Duration.ofSeconds(10))).isEqualTo(7);
        assertThat(log.perSecond()).containsExactly(4, 2, 1);
        assertThatThrownBy(() -> log.maxInWindow(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyLog() {
        EventLog log = new EventLog();
        assertThat(log.maxInWindow(Duration.ofSeconds(1))).isZero();
        assertThat(log.perSecond()).isEmpty();
    }

    @Test
    void tokenBucketAdmitsBurstThenRate() {
        long t = 1_000_000_000L;
        TokenBucket b = new TokenBucket(10, 3, t);
        assertThat(b.tryTake(t)).isZero();
        assertThat(b.tryTake(t)).isZero();
        assertThat(b.tryTake(t)).isZero();
        assertThat(b.tryTake(t)).isEqualTo(100 * MS);
        assertThat(b.tryTake(t + 50 * MS)).isEqualTo(50 * MS);
        assertThat(b.tryTake(t + 100 * MS)).isZero();
        assertThat(b.tryTake(t + 10_000 * MS)).isZero(); // refills to burst only
        assertThat(b.tryTake(t + 10_000 * MS)).isZero();
        assertThat(b.tryTake(t + 10_000 * MS)).isZero();
        assertThat(b.tryTake(t + 10_000 * MS)).isPositive();
    }
}
