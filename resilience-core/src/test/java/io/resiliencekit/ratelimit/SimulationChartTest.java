package io.resiliencekit.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Renders the rate-limiting guide's chart (target/ by default; -Drk.chart.out=docs/img/... to refresh the committed one). */
class SimulationChartTest {

    @Test
    void rendersTheChart() throws Exception {
        System.setProperty("java.awt.headless", "true");
        File out = new File(System.getProperty("rk.chart.out", "target/rate-limiting-simulation.png"));
        SimulationChart.write(out);
        assertThat(ImageIO.read(out).getWidth()).isEqualTo(1000);
    }
}
