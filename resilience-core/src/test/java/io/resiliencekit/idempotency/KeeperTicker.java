package io.resiliencekit.idempotency;

import io.resiliencekit.idempotency.internal.HoldKeeper;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;

/**
 * Virtual time whose sleeps also run the hold keeper's due work, as the keeper's own threads would
 * while a caller waits: renewals, and completions the store refused while it was down.
 */
final class KeeperTicker implements Ticker {

    final ManualTicker time;
    final HoldKeeper.Manual keeper;

    KeeperTicker(ManualTicker time) {
        this.time = time;
        this.keeper = HoldKeeper.manual(time);
    }

    @Override
    public long nanoTime() {
        return time.nanoTime();
    }

    @Override
    public long epochMillis() {
        return time.epochMillis();
    }

    @Override
    public void sleepNanos(long nanos) throws InterruptedException {
        time.sleepNanos(nanos);
        keeper.runDue();
    }
}
