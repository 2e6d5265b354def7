package io.resiliencekit.config.internal;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Stands in for an exception whose message held a secret (see
 * {@link io.resiliencekit.config.Secrets#scrubbed}): same class name in {@link #toString()}, same
 * stack trace, scrubbed message.
 */
public final class ScrubbedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private static final int MAX_CHAIN = 16;

    private final String originalClassName;

    public ScrubbedException(String originalClassName, String scrubbedMessage, Throwable cause) {
        super(scrubbedMessage, cause);
        this.originalClassName = originalClassName;
    }

    /**
     * {@code t} itself if {@code scrub} changes no message of its cause chain; otherwise a copy of
     * the chain down to the deepest changed link, with scrubbed messages and the original stack
     * traces ({@link SQLException}s stay SQL exceptions with their SQL state).
     */
    public static Throwable scrubChain(Throwable t, UnaryOperator<String> scrub) {
        if (t == null) {
            return null;
        }
        List<Throwable> chain = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable x = t; x != null && chain.size() < MAX_CHAIN && seen.add(x); x = x.getCause()) {
            chain.add(x);
        }
        int deepestChanged = -1;
        for (int i = 0; i < chain.size(); i++) {
            String m = chain.get(i).getMessage();
            if (m != null && !m.equals(scrub.apply(m))) {
                deepestChanged = i;
            }
        }
        if (deepestChanged < 0) {
            return t;
        }
        Throwable below = deepestChanged + 1 < chain.size() ? chain.get(deepestChanged + 1) : null;
        for (int i = deepestChanged; i >= 0; i--) {
            Throwable x = chain.get(i);
            String m = x.getMessage() == null ? null : scrub.apply(x.getMessage());
            Throwable copy = x instanceof SQLException
                ? new SQLException(m, ((SQLException) x).getSQLState(), ((SQLException) x).getErrorCode(), below)
                : new ScrubbedException(x.getClass().getName(), m, below);
            copy.setStackTrace(x.getStackTrace());
            below = copy;
        }
        return below;
    }

    /** The class of the exception this one replaces. */
    public String originalClassName() {
        return originalClassName;
    }

    @Override
    public String toString() {
        String m = getLocalizedMessage();
        return m == null ? originalClassName : originalClassName + ": " + m;
    }
}
