package io.resiliencekit.retry;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.time.ManualTicker;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** With the dependency down, the budget bounds what it is sent. */
class RetryBudgetTest {

    private static final int CALLS = 10_000;
    private static final int MAX_ATTEMPTS = 3;
    private static final double RATIO = 0.1;
    private static final int RESERVE = 10;

    private long attemptsAgainstADeadDependency(RetryConfig retry) {
        ResiliencePolicy p = ResiliencePolicy.builder("down").ticker(new ManualTicker()).retry(retry).build();
        AtomicLong attempts = new AtomicLong();
        for (int i = 0; i < CALLS; i++) {
            try {
                p.call(() -> {
                    attempts.incrementAndGet();
                    throw new IOException("connection refused");
                });
            } catch (CallFailedException expected) {
                // every call fails: the dependency is down
            }
        }
        return attempts.get();
    }

    @Test
    void attemptsStayWithinCallsPlusReservePlusRatioTimesCalls() {
        long attempts = attemptsAgainstADeadDependency(
            RetryConfig.builder().maxAttempts(MAX_ATTEMPTS).budget(true, RATIO, RESERVE).build());
        // The bound: every call makes one attempt, and retries <= reserve + ratio * calls.
        long bound = CALLS + RESERVE + (long) (RATIO * CALLS);           // 11,010
        assertThat(attempts).isLessThanOrEqualTo(bound);
        // and the budget is spent, not hoarded: retries still happen, close to the bound
        assertThat(attempts).isGreaterThanOrEqualTo(bound - 2);
        // without a budget the same outage costs maxAttempts per call
        long unbudgeted = attemptsAgainstADeadDependency(
            RetryConfig.builder().maxAttempts(MAX_ATTEMPTS).noBudget().build());
        assertThat(unbudgeted).isEqualTo((long) CALLS * MAX_ATTEMPTS);   // 30,000
    }

    @Test
    void aHealthySpellCannotBankMoreThanTheReserve() {
        AtomicLong calls = new AtomicLong();
        LocalRetryBudget budget = new LocalRetryBudget(0.5, 3, calls::get);
        calls.set(1_000_000);
        int granted = 0;
        while (budget.tryWithdraw()) {
            granted++;
        }
        assertThat(granted).isEqualTo(3);
        calls.addAndGet(10);           // 10 more calls deposit 5 tokens
        granted = 0;
        while (budget.tryWithdraw()) {
            granted++;
        }
        assertThat(granted).isEqualTo(3); // still capped by the reserve
    }
}
