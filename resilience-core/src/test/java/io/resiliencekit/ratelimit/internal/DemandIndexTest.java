package io.resiliencekit.ratelimit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The demand index answers the same whether clients leave one by one or in a bulk (a lapsing time bin). */
class DemandIndexTest {

    @Test
    void aBulkOfRemovalsLeavesTheSameWaterLevelsAsRemovingOneByOne() {
        SplittableRandom r = new SplittableRandom(14);
        int n = 5_000;
        int[] slots = new int[n];
        long[] units = new long[n];
        DemandIndex one = new DemandIndex();
        DemandIndex bulk = new DemandIndex();
        for (int i = 0; i < n; i++) {
            double demand = Math.exp(r.nextDouble(-5, 12));
            slots[i] = DemandIndex.slotOf(demand);
            units[i] = DemandIndex.units(demand);
            one.add(slots[i], units[i]);
            bulk.add(slots[i], units[i]);
        }
        bulk.beginBulk();
        for (int i = 0; i < n; i += 3) {
            one.remove(slots[i], 1, units[i]);
            bulk.remove(slots[i], 1, units[i]);
        }
        assertThatThrownBy(() -> bulk.waterLevel(1000)).isInstanceOf(IllegalStateException.class);
        bulk.endBulk();
        assertThat(bulk.count()).isEqualTo(one.count());
        assertThat(bulk.total()).isEqualTo(one.total());
        for (double rate : new double[] {1, 100, 10_000, 1e6, 1e9}) {
            assertThat(bulk.waterLevel(rate)).as("water level at %s", rate).isEqualTo(one.waterLevel(rate));
        }
        // and it goes on as an ordinary index after the bulk
        one.add(7, 99);
        bulk.add(7, 99);
        assertThat(bulk.waterLevel(5_000)).isEqualTo(one.waterLevel(5_000));
    }
}
