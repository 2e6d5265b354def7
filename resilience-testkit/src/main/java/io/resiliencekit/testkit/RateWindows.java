package io.resiliencekit.testkit;

/** How well a quota was used, from a simulator's requests per second. */
public final class RateWindows {

    private RateWindows() {
    }

    /**
     * The mean of the full seconds between the first and the last second with traffic, over
     * {@code rate}: the first and last seconds are partial, so they are left out.
     */
    public static double interiorUtilisation(long[] perSecond, double rate) {
        int first = 0;
        while (first < perSecond.length && perSecond[first] == 0) {
            first++;
        }
        int last = perSecond.length - 1;
        while (last > first && perSecond[last] == 0) {
            last--;
        }
        long interior = 0;
        for (int i = first + 1; i < last; i++) {
            interior += perSecond[i];
        }
        return interior / (rate * Math.max(1, last - first - 1));
    }
}
