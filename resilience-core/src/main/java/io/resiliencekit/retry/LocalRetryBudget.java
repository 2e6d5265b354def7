package io.resiliencekit.retry;

import java.util.function.LongSupplier;

/**
 * Limits retries to a fraction of calls, as Finagle's RetryBudget and gRPC's retry throttling do,
 * so a dependency that is down sees roughly the calls, not the calls times the attempts.
 *
 * <p>The guarantee, over any interval: {@code retries <= reserve + ratio * calls}, where calls are
 * first attempts. Each call deposits {@code ratio} of a token, each retry withdraws one, and the
 * balance never exceeds {@code reserve}, so a long healthy spell cannot bank a retry storm.
 *
 * <p>The success path pays nothing: calls are counted by the policy's metrics anyway, and the
 * balance is brought up to date lazily, only when a retry asks for a token.
 *
 * <pre>{@code
 * LocalRetryBudget budget = new LocalRetryBudget(0.2, 50, metrics::calls);
 * if (!budget.tryWithdraw()) giveUp();
 * }</pre>
 */
public final class LocalRetryBudget implements io.resiliencekit.spi.RetryBudget {

    private final double ratio;
    private final double reserve;
    private final LongSupplier calls;

    private double balance;
    private long callsSeen;

    public LocalRetryBudget(double ratio, int reserve, LongSupplier calls) {
        this.ratio = ratio;
        this.reserve = reserve;
        this.calls = calls;
        this.balance = reserve;
    }

    /** Takes one retry token if there is one. Failure path only, so a monitor is fine. */
    @Override
    public synchronized boolean tryWithdraw() {
        long now = calls.getAsLong();
        balance = Math.min(reserve, balance + ratio * (now - callsSeen));
        callsSeen = now;
        if (balance >= 1.0) {
            balance -= 1.0;
            return true;
        }
        return false;
    }

    public synchronized double balance() {
        return balance;
    }

    public double ratio() {
        return ratio;
    }

    public double reserve() {
        return reserve;
    }
}
