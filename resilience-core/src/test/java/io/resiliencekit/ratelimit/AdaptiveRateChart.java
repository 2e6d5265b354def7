package io.resiliencekit.ratelimit;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.File;
import java.io.IOException;

/**
 * Draws the guide's chart of {@code rate=auto}: two leased clients against an API whose hidden
 * limit is 1000/s, halves to 500/s at 40 s and returns at 80 s ({@link ThrottledApiSimulation} on
 * virtual time, the settings of {@link ThrottleFeedbackSimulationTest}): the authority's rate, the
 * calls the API accepted per second, and the limit. Drawn by
 * {@code ThrottleFeedbackSimulationTest.rateAuto_followsALimitThatHalvesAndReturns} from its own run
 * (target/rate-limiting-auto.png; {@code -Drk.autoChart.out=<file.png>} writes it elsewhere).
 */
final class AdaptiveRateChart {

    private AdaptiveRateChart() {
    }

    static void write(ThrottledApiSimulation s, File file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        SimulationChart.Frame f = new SimulationChart.Frame(
            "rate=auto, 2 clients, hidden limit 1000/s, 500/s from 40 s to 80 s (virtual time)", 120, 2600, 500, p -> { });
        double[] limit = s.sampled(s.limitPerMs);
        SimulationChart.plot(f.g, limit, f.left, f.pw, f.top, f.ph, f.yMax, new Color(200, 0, 0),
            new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
        SimulationChart.plot(f.g, s.sampled(s.ratePerMs), f.left, f.pw, f.top, f.ph, f.yMax, new Color(255, 127, 14));
        SimulationChart.plot(f.g, s.acceptedPerSecond(), f.left, f.pw, f.top, f.ph, f.yMax, new Color(31, 119, 180));
        int ly = f.h - 18;
        SimulationChart.legend(f.g, f.left, ly, new Color(31, 119, 180), "accepted by the API per second (sliding 1 s)");
        SimulationChart.legend(f.g, f.left + 330, ly, new Color(255, 127, 14), "the authority's rate");
        SimulationChart.legend(f.g, f.left + 520, ly, new Color(200, 0, 0), "the API's hidden limit (burst 1 s of it)");
        f.write(file);
    }

}
