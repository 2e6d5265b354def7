package io.resiliencekit.deadletter;

import io.resiliencekit.config.Secrets;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Removes secrets from a dead letter before any sink stores it. Sinks apply their redactor to
 * every letter; the checksum is computed over the redacted letter.
 *
 * <pre>{@code
 * Redactor r = Redactor.builder()
 *     .maskFields("ssn", "cardNumber")          // payload fields masked at any depth, besides secret-named ones
 *     .scrubValues(List.of(apiToken))           // these exact strings are masked wherever they appear
 *     .build();
 * JsonLinesDeadLetterSink sink = JsonLinesDeadLetterSink.builder(dir).redactor(r).build();
 * }</pre>
 *
 * <p>{@link #defaults()} masks payload fields whose names {@link Secrets#isSecret look secret}
 * ({@code password}, {@code token}, {@code apiKey}, {@code authorization}...), and scrubs the
 * message, the stack trace and payload strings with {@link Secrets#scrub}, the scrubber behind
 * every other channel: {@code name=value} / {@code name: value} pairs with such names,
 * {@code Bearer}, {@code Basic} and {@code Token} credentials, and passwords in
 * {@code scheme://user:password@host}.
 */
@FunctionalInterface
public interface Redactor extends Serializable {

    DeadLetter redact(DeadLetter letter);

    /** Secret-named payload fields and secret-looking pairs in messages are masked. */
    static Redactor defaults() {
        return builder().build();
    }

    /** Keeps letters as they are (only for payloads known to hold no secrets). */
    static Redactor none() {
        return letter -> letter;
    }

    static Builder builder() {
        return new Builder();
    }

    /** Builds the standard redactor. */
    final class Builder {
        private final Set<String> fields = new LinkedHashSet<>();
        private final List<String> values = new ArrayList<>();
        private boolean scrubPairs = true;

        /** Payload field names masked at any depth (compared case-insensitively). */
        public Builder maskFields(String... names) {
            for (String n : names) {
                fields.add(n.toLowerCase(Locale.ROOT));
            }
            return this;
        }

        /** Exact secret values to mask wherever they appear: message, stack trace, payload strings, key. */
        public Builder scrubValues(Collection<String> secretValues) {
            for (String v : secretValues) {
                if (v != null && v.length() >= 3) { // masking "a" everywhere would shred the text and leak its position
                    values.add(v);
                }
            }
            return this;
        }

        /** Whether {@code password=...}-style pairs in messages are masked (default true). */
        public Builder scrubSecretPairs(boolean on) {
            this.scrubPairs = on;
            return this;
        }

        public Redactor build() {
            return new Standard(Set.copyOf(fields), List.copyOf(values), scrubPairs);
        }
    }

    /** The standard redactor; see {@link Redactor}. */
    final class Standard implements Redactor {
        private static final long serialVersionUID = 1L;
        private final Set<String> fields;
        private final List<String> values;
        private final boolean scrubPairs;

        Standard(Set<String> fields, List<String> values, boolean scrubPairs) {
            this.fields = fields;
            this.values = values;
            this.scrubPairs = scrubPairs;
        }

        @Override
        public DeadLetter redact(DeadLetter l) {
            return l.toBuilder()
                .key(scrub(l.key(), false))
                .payload(payload(l.payload()))
                .message(scrub(l.message(), true))
                .stackTrace(scrub(l.stackTrace(), true))
                .build();
        }

        private Object payload(Object v) {
            if (v instanceof Map) {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    String name = String.valueOf(e.getKey());
                    boolean mask = Secrets.isSecret(name) || fields.contains(name.toLowerCase(Locale.ROOT));
                    out.put(name, mask && e.getValue() != null ? Secrets.MASK : payload(e.getValue()));
                }
                return out;
            }
            if (v instanceof List) {
                List<Object> out = new ArrayList<>();
                for (Object o : (List<?>) v) {
                    out.add(payload(o));
                }
                return out;
            }
            if (v instanceof String) {
                return scrub((String) v, true);
            }
            return v;
        }

        private String scrub(String s, boolean pairs) {
            if (s == null) {
                return null;
            }
            String out = s;
            for (String secret : values) {
                out = out.replace(secret, Secrets.MASK);
            }
            // the one scrubber of every channel: what a log line or an exception hides, a dead letter hides too
            return pairs && scrubPairs ? Secrets.scrub(out) : out;
        }
    }
}
