package io.resiliencekit.ratelimit;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import javax.imageio.ImageIO;

/**
 * Draws the guide's chart: admitted calls per second (sliding 1 s window, sampled every 100 ms) of 8
 * leased clients against R, for three runs of {@link LeaseSimulation} on virtual time. Plain AWT, no
 * dependencies. Run by {@link SimulationChartTest}; {@code -Drk.chart.out=<file.png>} writes it elsewhere.
 */
final class SimulationChart {

    static final double R = 1000;
    static final long B = 1000;

    private SimulationChart() {
    }

    static double[] ratePerSecond(LeaseSimulation s) {
        int samples = s.perMs.length / 100;
        double[] out = new double[samples];
        for (int i = 0; i < samples; i++) {
            long end = (i + 1) * 100L;
            out[i] = s.admitted(Math.max(0, end - 1000), end);
        }
        return out;
    }

    static void write(File file) throws IOException {
        LeaseSimulation allBusy = new LeaseSimulation(R, B, 8, Duration.ofSeconds(1))
            .run(60_000, (c, ms) -> LeaseSimulation.SATURATED, null);
        LeaseSimulation shifting = new LeaseSimulation(R, B, 8, Duration.ofSeconds(1)).run(60_000, (c, ms) -> {
            int period = (int) (ms / 10_000);
            return c == period % 8 || c == (period + 3) % 8 ? LeaseSimulation.SATURATED : 0;
        }, null);
        LeaseSimulation outage = new LeaseSimulation(R, B, 8, Duration.ofSeconds(1));
        outage.run(60_000, (c, ms) -> c < 4 ? LeaseSimulation.SATURATED : (ms % 1000 == 0 ? 1 : 0),
            ms -> outage.authority.up = ms < 20_000 || ms >= 40_000);

        Frame f = new Frame("8 leased clients, R = 1000/s, B = 1000: admitted per second (sliding 1 s window), virtual time",
            60, 2200, 500, p -> {
                // authority outage band
                p.g.setColor(new Color(255, 235, 235));
                p.g.fillRect(p.left + p.pw * 20 / 60, p.top, p.pw * 20 / 60, p.ph);
            });
        Graphics2D g = f.g;
        int left = f.left;
        int pw = f.pw;
        int top = f.top;
        int ph = f.ph;
        int h = f.h;
        double yMax = f.yMax;
        dashed(g, left, pw, top, ph, yMax, R, new Color(0, 0, 0), "R");
        dashed(g, left, pw, top, ph, yMax, R + B, new Color(200, 0, 0), "R*1s + B (bound for a 1 s window)");
        plot(g, ratePerSecond(allBusy), left, pw, top, ph, yMax, new Color(31, 119, 180));
        plot(g, ratePerSecond(shifting), left, pw, top, ph, yMax, new Color(44, 160, 44));
        plot(g, ratePerSecond(outage), left, pw, top, ph, yMax, new Color(255, 127, 14));
        int ly = h - 18;
        legend(g, left, ly, new Color(31, 119, 180), "all 8 busy");
        legend(g, left + 140, ly, new Color(44, 160, 44), "2 busy, moving every 10 s");
        legend(g, left + 370, ly, new Color(255, 127, 14), "4 busy, authority down 20-40 s (safe rate R/8 each)");
        f.write(file);
    }

    /** A white 1000 x 520 chart with a title, seconds on x and a grid on y; plot inside [left, left+pw] x [top, top+ph]. */
    static final class Frame {
        final int w = 1000;
        final int h = 520;
        final int left = 70;
        final int top = 50;
        final int pw = w - left - 20;
        final int ph = h - top - 60;
        final double yMax;
        final BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = img.createGraphics();

        Frame(String title, int seconds, double yMax, int yStep, java.util.function.Consumer<Frame> background) {
            this.yMax = yMax;
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            background.accept(this);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, left, 25);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int xStep = seconds <= 60 ? 10 : 20;
            for (int s = 0; s <= seconds; s += xStep) {
                int x = left + pw * s / seconds;
                g.setColor(new Color(225, 225, 225));
                g.drawLine(x, top, x, top + ph);
                g.setColor(Color.BLACK);
                g.drawString(s + " s", x - 8, top + ph + 18);
            }
            for (int y = 0; y <= yMax; y += yStep) {
                int py = top + ph - (int) (ph * y / yMax);
                g.setColor(new Color(225, 225, 225));
                g.drawLine(left, py, left + pw, py);
                g.setColor(Color.BLACK);
                g.drawString(Integer.toString(y), left - 40, py + 4);
            }
        }

        void write(File file) throws IOException {
            g.dispose();
            File dir = file.getAbsoluteFile().getParentFile();
            if (dir != null) {
                dir.mkdirs();
            }
            ImageIO.write(img, "png", file);
        }
    }

    static void dashed(Graphics2D g, int left, int pw, int top, int ph, double yMax, double y, Color c, String label) {
        int py = top + ph - (int) (ph * y / yMax);
        g.setColor(c);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
        g.drawLine(left, py, left + pw, py);
        g.setStroke(new BasicStroke(1));
        g.drawString(label, left + pw - 230, py - 6);
    }

    static void plot(Graphics2D g, double[] ys, int left, int pw, int top, int ph, double yMax, Color c) {
        plot(g, ys, left, pw, top, ph, yMax, c, new BasicStroke(2));
    }

    static void plot(Graphics2D g, double[] ys, int left, int pw, int top, int ph, double yMax, Color c, BasicStroke stroke) {
        g.setColor(c);
        g.setStroke(stroke);
        for (int i = 1; i < ys.length; i++) {
            int x1 = left + pw * (i - 1) / ys.length;
            int x2 = left + pw * i / ys.length;
            int y1 = top + ph - (int) (ph * Math.min(ys[i - 1], yMax) / yMax);
            int y2 = top + ph - (int) (ph * Math.min(ys[i], yMax) / yMax);
            g.drawLine(x1, y1, x2, y2);
        }
        g.setStroke(new BasicStroke(1));
    }

    static void legend(Graphics2D g, int x, int y, Color c, String text) {
        g.setColor(c);
        g.fillRect(x, y - 9, 18, 4);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 24, y - 3);
    }
}
