package io.resiliencekit;

import java.time.Duration;

/** No rate-limit permit could be had within the configured maximum wait. */
public class RateLimitedException extends ResilienceException {

    private static final long serialVersionUID = 1L;

    public RateLimitedException(String policyName, String limiterName, Duration maxWait, int attempts) {
        super("rate limiter '" + limiterName + "' gave no permit within " + maxWait.toMillis() + " ms",
            policyName, attempts, null);
    }
}
