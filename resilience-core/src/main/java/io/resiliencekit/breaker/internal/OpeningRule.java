package io.resiliencekit.breaker.internal;

/**
 * When a closed breaker opens: once its window holds at least {@code minimumCalls} calls and the
 * failure rate, or (when slow calls are counted) the slow-call rate, reaches its threshold. Also
 * judges half-open trials ({@link #exceeds}).
 */
public final class OpeningRule {

    private final int minimumCalls;
    private final double failureThreshold;
    private final boolean countsSlow;
    private final double slowThreshold;

    public OpeningRule(int minimumCalls, double failureThreshold, boolean countsSlow, double slowThreshold) {
        this.minimumCalls = minimumCalls;
        this.failureThreshold = failureThreshold;
        this.countsSlow = countsSlow;
        this.slowThreshold = slowThreshold;
    }

    /** True if {@code failures} (or {@code slow}) of {@code calls} reach a threshold; {@code calls > 0}. */
    public boolean exceeds(int failures, int slow, long calls) {
        return (double) failures / calls >= failureThreshold
            || (countsSlow && (double) slow / calls >= slowThreshold);
    }

    /** True if a closed window holding these counts opens the breaker. */
    public boolean opens(int failures, int slow, long calls) {
        return calls >= minimumCalls && exceeds(failures, slow, calls);
    }

    /**
     * True if no fast success (neither failed nor slow) added to a window that holds these counts,
     * and from which nothing expires meanwhile, can ever make {@link #opens} true. A success adds a
     * call and no failure, so it can only lower both rates; the one exception is the success that
     * brings the window to {@code minimumCalls}, at which point the rates are looked at for the
     * first time: it opens if the counts already reach a threshold at {@code minimumCalls}.
     * (Once the window holds {@code minimumCalls} calls without having opened, this is true.)
     */
    public boolean successesCannotOpen(int failures, int slow, long calls) {
        return !exceeds(failures, slow, Math.max(calls, minimumCalls));
    }
}
