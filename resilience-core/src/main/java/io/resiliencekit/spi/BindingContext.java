package io.resiliencekit.spi;

import io.resiliencekit.time.Ticker;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a factory in a spec gets when a runtime binds it: the runtime's clock, the cluster it is
 * bound to (if any), and one instance per kind and name for the whole runtime. This is the only way
 * state is shared: there are no JVM-wide registries, so two runtimes (two tests, say) share nothing.
 *
 * <pre>{@code
 * public RateLimiter create(BindingContext ctx) {
 *     return ctx.share("rate-limiter", spec.name(), spec, s -> TokenBucket.builder(s.name()).rate(s.rate())
 *         .ticker(ctx.ticker()).build());
 * }
 * }</pre>
 */
public interface BindingContext {

    /** The clock of every wait, deadline and window of the runtime. */
    Ticker ticker();

    /** The cluster this runtime is bound to (the Spark plugin binds one on every JVM), or empty. */
    Optional<Cluster> cluster();

    /**
     * The one {@code kind} instance named {@code name} in this runtime, made by {@code create} on first
     * use. The spec it was made from is remembered: asking again under the same name with a spec that
     * is not equal is a {@link io.resiliencekit.config.ConfigException} naming both, never a silent
     * first-wins. Instances that are {@link AutoCloseable} are closed with the runtime.
     */
    <S, T> T share(String kind, String name, S spec, Function<? super S, ? extends T> create);

    /** Logs {@code message} at WARN the first time {@code key} is seen in this runtime, never again. */
    void warnOnce(String key, String message);
}
