package io.resiliencekit.ratelimit;

import io.resiliencekit.time.Ticker;
import java.io.Serializable;

/**
 * Serializable recipe for a {@link RateLimiter}: it travels inside a policy's configuration (and so
 * inside Spark closures) and creates, or looks up, the limiter in the JVM where the policy runs.
 * Implementations should return the same limiter for the same name within one JVM.
 */
@FunctionalInterface
public interface RateLimiterFactory extends Serializable {
    RateLimiter create(Ticker ticker);
}
