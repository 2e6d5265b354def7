package io.resiliencekit.policy;

import io.resiliencekit.time.Ticker;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A policy's "gave up" warnings, at most one per {@link #INTERVAL_NANOS}: an outage makes every call
 * give up at once (a thousand a second at the rates we serve), and a warning each would bury the
 * log. The first give-up at least 10 s after the last warning is logged at WARN, with the number of
 * give-ups logged at DEBUG since; the others go to DEBUG. Every give-up is still an event
 * ({@code GIVE_UP}) and a {@link io.resiliencekit.CallFailedException} for the caller.
 */
final class GiveUpLog {

    static final long INTERVAL_NANOS = 10_000_000_000L;
    /** The one wording of a give-up, at WARN and at DEBUG alike. */
    private static final String GAVE_UP = "policy '{}' gave up after {} attempt(s) ({}): {}";

    private final Ticker ticker;
    /** When the next warning may be logged; Long.MIN_VALUE before the first. */
    private final AtomicLong nextWarnAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong notLogged = new AtomicLong();

    GiveUpLog(Ticker ticker) {
        this.ticker = ticker;
    }

    void gaveUp(Logger log, String policy, int attempts, String reason, String failure) {
        if (!log.isWarnEnabled()) {
            return;
        }
        long now = ticker.nanoTime();
        long next = nextWarnAt.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextWarnAt.compareAndSet(next, now + INTERVAL_NANOS)) {
            long more = notLogged.getAndSet(0);
            if (more == 0) {
                log.warn(GAVE_UP, policy, attempts, reason, failure);
            } else {
                log.warn(GAVE_UP + "; {} more gave up since the last warning (logged at DEBUG)", policy, attempts, reason,
                    failure, more);
            }
            return;
        }
        notLogged.incrementAndGet();
        if (log.isDebugEnabled()) {
            log.debug(GAVE_UP, policy, attempts, reason, failure);
        }
    }
}
