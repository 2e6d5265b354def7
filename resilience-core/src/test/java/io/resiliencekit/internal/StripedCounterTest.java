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
    void aThreadsCellIsItsOwnAndAtAMultipleOfTheIntervalOnceEveryInterval() {
        StripedCounter counter = new StripedCounter(8);
        int cell = counter.cellOfCurrentThread();
        assertThat(counter.cellOfCurrentThread()).isEqualTo(cell);
        int mask = 15;
        int due = 0;
        for (int i = 0; i < 160; i++) {
            if (counter.atMultiple(cell, mask)) {
                due++;
            }
            counter.increment(cell);
        }
        assertThat(due).isEqualTo(10);
        assertThat(counter.sum()).isEqualTo(160);
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
