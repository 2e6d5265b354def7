package io.resiliencekit.event;

/**
 * Receives events synchronously on the thread that caused them; keep it quick and never throw
 * (a throwing listener is logged and ignored).
 *
 * <pre>{@code
 * policy.events().register(event -> metrics.counter(event.type().name()).increment());
 * }</pre>
 */
@FunctionalInterface
public interface EventListener {
    void onEvent(ResilienceEvent event);
}
