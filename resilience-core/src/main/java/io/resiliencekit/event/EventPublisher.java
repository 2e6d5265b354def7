package io.resiliencekit.event;

import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners of one policy. Costs one volatile read when nobody listens: publishers call
 * {@link #hasListeners()} first and only then build the event.
 *
 * <pre>{@code
 * if (events.hasListeners()) {
 *     events.publish(new ResilienceEvent(EventType.RETRY, name, now, attempt, delay, "", failure));
 * }
 * }</pre>
 */
public final class EventPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    private static final EventListener[] NONE = new EventListener[0];

    // Copy-on-write: registration is rare, publishing is on the hot path.
    private volatile EventListener[] listeners = NONE;

    public boolean hasListeners() {
        return listeners.length != 0;
    }

    public synchronized EventPublisher register(EventListener listener) {
        Objects.requireNonNull(listener, "listener");
        EventListener[] next = Arrays.copyOf(listeners, listeners.length + 1);
        next[next.length - 1] = listener;
        listeners = next;
        return this;
    }

    public synchronized void unregister(EventListener listener) {
        EventListener[] cur = listeners;
        for (int i = 0; i < cur.length; i++) {
            if (cur[i] == listener) {
                EventListener[] next = new EventListener[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, i);
                System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                listeners = next;
                return;
            }
        }
    }

    public void publish(ResilienceEvent event) {
        for (EventListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("event listener {} failed on {}; ignored", l.getClass().getName(), event.type(), e);
            }
        }
    }
}
