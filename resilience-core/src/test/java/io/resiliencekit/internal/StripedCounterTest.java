package io.resiliencekit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class StripedCounterTest {

    @Test
    void threadsThatShareCellsStillCountExactly() throws Exception {
        StripedCounter counter = new StripedCounter(2); // 2 cells for 8 threads: most of them share one
        int threads = 8;
        int each = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                for (int i = 0; i < each; i++) {
                    counter.increment(counter.cellOfCurrentThread());
                }
                counter.add(3);
            });
            th.start();
            started.add(th);
        }
        start.countDown();
        for (Thread th : started) {
            th.join();
        }
        assertThat(counter.sum()).isEqualTo((long) threads * (each + 3));
    }

    @Test
    void aThreadsCellIsItsOwnAndAboutOneCountInTwoToTheBitsIsDue() {
        StripedCounter counter = new StripedCounter(8);
        int cell = counter.cellOfCurrentThread();
        assertThat(counter.cellOfCurrentThread()).isEqualTo(cell);
        int due = 0;
        for (int i = 0; i < 6400; i++) {
            if (counter.dueOneIn(cell, 6)) {
                due++;
            }
            counter.increment(cell);
        }
        assertThat(due).as("1 in 64 of 6,400 counts").isBetween(98, 102);
        assertThat(counter.sum()).isEqualTo(6400);
    }

    @Test
    void everyPositionOfAShortPeriodIsDue() {
        // a caller whose calls alternate (or cycle through 4, 8, 16 kinds) must see each kind sampled
        for (int period : new int[] {2, 4, 8, 16, 64}) {
            int[] dueAt = new int[period];
            for (long count = 0; count < 64L * 200; count++) {
                if (StripedCounter.oneIn(count, 6)) {
                    dueAt[(int) (count % period)]++;
                }
            }
            double share = 200.0 / period;   // 200 samples in all
            for (int position = 0; position < period; position++) {
                assertThat((double) dueAt[position]).as("period %d, position %d", period, position)
                    .isBetween(share / 2, share * 2);
            }
        }
    }

    @Test
    void theCellCountIsAPowerOfTwoFromTwoTo64() {
        for (int wanted : new int[] {Integer.MIN_VALUE, 0, 1, 2, 3, 8, 9, 64, 65, 1 << 30, Integer.MAX_VALUE}) {
            StripedCounter c = new StripedCounter(wanted);
            int cell = c.cellOfCurrentThread();
            c.increment(cell);
            assertThat(c.sum()).as("wanted %d", wanted).isEqualTo(1);
        }
    }

    @Test
    void consecutiveThreadIdsSpreadOverTheCells() throws Exception {
        StripedCounter counter = new StripedCounter(16);
        java.util.Set<Integer> cells = new java.util.HashSet<>();
        for (int t = 0; t < 8; t++) {
            int[] cell = new int[1];
            Thread th = new Thread(() -> cell[0] = counter.cellOfCurrentThread());
            th.start();
            th.join();
            cells.add(cell[0]);
        }
        // eight threads made one after another (consecutive ids) take at least six of sixteen cells
        assertThat(cells).hasSizeGreaterThanOrEqualTo(6);
    }
}
