package io.resiliencekit.spi;

import java.io.Serializable;

/**
 * Serializable recipe for a {@link RateLimiter}: it travels inside a policy's configuration (and so
 * inside Spark closures) and is bound in the runtime where the policy runs, which keeps one limiter
 * per name ({@link BindingContext#share}).
 *
 * <pre>{@code
 * RateLimiterFactory f = ctx -> ctx.share("rate-limiter", "api", 100.0,
 *     rate -> TokenBucket.builder("api").rate(rate).ticker(ctx.ticker()).build());
 * }</pre>
 */
@FunctionalInterface
public interface RateLimiterFactory extends Serializable {
    RateLimiter create(BindingContext context);
}
