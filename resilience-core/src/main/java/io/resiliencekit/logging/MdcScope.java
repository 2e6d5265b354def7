package io.resiliencekit.logging;

import java.util.Map;
import org.slf4j.MDC;

/**
 * Puts attributes into the SLF4J MDC for the length of a call and restores what was there before,
 * so nested calls and pooled threads never see stale values.
 */
public final class MdcScope implements AutoCloseable {

    private final String[] keys;
    private final String[] previous;

    private MdcScope(Map<String, String> attributes) {
        int n = attributes.size();
        keys = new String[n];
        previous = new String[n];
        int i = 0;
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            keys[i] = e.getKey();
            previous[i] = MDC.get(e.getKey());
            if (e.getValue() == null) {
                MDC.remove(e.getKey());
            } else {
                MDC.put(e.getKey(), e.getValue());
            }
            i++;
        }
    }

    public static MdcScope push(Map<String, String> attributes) {
        return new MdcScope(attributes);
    }

    @Override
    public void close() {
        for (int i = keys.length - 1; i >= 0; i--) {
            if (previous[i] == null) {
                MDC.remove(keys[i]);
            } else {
                MDC.put(keys[i], previous[i]);
            }
        }
    }
}
