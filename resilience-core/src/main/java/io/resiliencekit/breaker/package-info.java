/**
 * The toolkit's own circuit breaker: {@link io.resiliencekit.breaker.CircuitBreakerConfig} (the
 * serializable spec, built with {@link io.resiliencekit.breaker.CircuitBreakerBuilder} or parsed from
 * options), {@link io.resiliencekit.breaker.CircuitBreaker} (the per-JVM runtime, whose closed-state
 * success path takes no lock and allocates nothing, whatever its window holds),
 * {@link io.resiliencekit.spi.BreakerBoard} (the SPI for sharing verdicts across JVMs);
 * {@code io.resiliencekit.failsafe.CircuitBreakerPolicy} shows a breaker to Failsafe.
 *
 * <pre>{@code
 * CircuitBreaker breaker = CircuitBreaker.of(CircuitBreakerConfig.builder("orders").build(), Ticker.system());
 * String r = Failsafe.with(retry, CircuitBreakerPolicy.<String>of(breaker)).get(client::fetch);
 * }</pre>
 *
 * <p>Not built on Failsafe's breaker because its state must be shareable across JVMs and its success
 * path must not lock or allocate.
 */
package io.resiliencekit.breaker;
