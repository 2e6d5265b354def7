package io.resiliencekit.deadletter;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.ResilienceException;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.deadletter.internal.Json;
import io.resiliencekit.idempotency.Fingerprints;
import io.resiliencekit.idempotency.CanonicalForm;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A record that could not be processed, with everything needed to understand and replay it:
 * idempotency key, payload, error class, message, trimmed stack trace, classification, attempts,
 * first and last failure time, source position, and a SHA-256 checksum over all of that.
 *
 * <pre>{@code
 * DeadLetter dl = DeadLetter.builder()
 *     .key(key)
 *     .payload(Map.of("orderId", 42, "amount", "9.90"))
 *     .failure(e)                               // error class, message, stack, attempts, kind
 *     .failedAt(ticker.epochMillis())
 *     .source(SourcePosition.builder().run("batch-42").stage(3).partition(17).attempt(0).offset(99L).build())
 *     .build();
 * sink.write(dl);                                // the sink's Redactor masks secrets first
 * }</pre>
 *
 * <p>Payloads are JSON-like trees (maps, lists, strings, numbers, booleans, null; records and
 * byte[] are converted), normalized so that a letter equals itself after being written and read.
 * The checksum covers the redacted content, so {@link #verifyChecksum()} detects corruption and
 * tampering of stored letters.
 */
public final class DeadLetter implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Format version written with every letter. */
    public static final int FORMAT_VERSION = 1;

    private final String key;
    private final Object payload;
    private final String errorClass;
    private final String message;
    private final String stackTrace;
    private final String classification;
    private final int attempts;
    private final long firstFailureEpochMillis;
    private final long lastFailureEpochMillis;
    private final SourcePosition source;
    private final String checksum;

    private DeadLetter(Builder b) {
        this.key = b.key;
        this.payload = Json.normalize(b.payload);
        this.errorClass = b.errorClass;
        this.message = b.message;
        this.stackTrace = b.stackTrace;
        this.classification = b.classification;
        this.attempts = b.attempts;
        this.firstFailureEpochMillis = b.firstFailure;
        this.lastFailureEpochMillis = b.lastFailure;
        this.source = b.source == null ? SourcePosition.UNKNOWN : b.source;
        this.checksum = computeChecksum();
    }

    private DeadLetter(DeadLetter content, String storedChecksum) {
        this.key = content.key;
        this.payload = content.payload;
        this.errorClass = content.errorClass;
        this.message = content.message;
        this.stackTrace = content.stackTrace;
        this.classification = content.classification;
        this.attempts = content.attempts;
        this.firstFailureEpochMillis = content.firstFailureEpochMillis;
        this.lastFailureEpochMillis = content.lastFailureEpochMillis;
        this.source = content.source;
        this.checksum = storedChecksum;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding every field of this letter, to change some (redaction does). */
    public Builder toBuilder() {
        Builder b = new Builder().key(key).payload(payload).errorClass(errorClass).message(message).stackTrace(stackTrace)
            .classification(classification).attempts(attempts).source(source);
        b.firstFailure = firstFailureEpochMillis;
        b.lastFailure = lastFailureEpochMillis;
        return b;
    }

    public String key() {
        return key;
    }

    /** The payload as a JSON-like tree (Map, List, String, Long, Double, BigDecimal, Boolean, null). */
    public Object payload() {
        return payload;
    }

    public String errorClass() {
        return errorClass;
    }

    public String message() {
        return message;
    }

    /** Trimmed stack trace: a few frames per exception of the cause chain. */
    public String stackTrace() {
        return stackTrace;
    }

    /** {@link FailureKind} name (TRANSIENT, PERMANENT, THROTTLED), or null if unknown. */
    public String classification() {
        return classification;
    }

    public int attempts() {
        return attempts;
    }

    public long firstFailureEpochMillis() {
        return firstFailureEpochMillis;
    }

    public long lastFailureEpochMillis() {
        return lastFailureEpochMillis;
    }

    public SourcePosition source() {
        return source;
    }

    /** SHA-256 (hex) over the canonical form of every other field, as stored. */
    public String checksum() {
        return checksum;
    }

    /** True if {@link #checksum()} matches the content (false for a corrupted or edited stored letter). */
    public boolean verifyChecksum() {
        return checksum != null && checksum.equals(computeChecksum());
    }

    private String computeChecksum() {
        return Fingerprints.sha256Hex(CanonicalForm.bytes(contentMap()));
    }

    private Map<String, Object> contentMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", (long) FORMAT_VERSION);
        m.put("key", key);
        m.put("payload", payload);
        m.put("errorClass", errorClass);
        m.put("message", message);
        m.put("stackTrace", stackTrace);
        m.put("classification", classification);
        m.put("attempts", (long) attempts);
        m.put("firstFailureEpochMillis", firstFailureEpochMillis);
        m.put("lastFailureEpochMillis", lastFailureEpochMillis);
        m.put("source", source.toMap());
        return m;
    }

    /** The letter as one JSON object (one line: newlines inside strings are escaped). */
    public String toJson() {
        Map<String, Object> m = contentMap();
        m.put("checksum", checksum);
        return Json.write(m);
    }

    /**
     * Reads a letter written by {@link #toJson()}, keeping the stored checksum (check it with
     * {@link #verifyChecksum()}).
     *
     * @throws IllegalArgumentException if the text is not a dead letter
     */
    public static DeadLetter fromJson(String json) {
        Object parsed = Json.parse(json);
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("a dead letter must be a JSON object");
        }
        Map<?, ?> m = (Map<?, ?>) parsed;
        Object version = m.get("version");
        if (!(version instanceof Long) || (Long) version != FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported dead-letter version " + version);
        }
        try {
            Builder b = builder().key((String) m.get("key")).payload(m.get("payload")).errorClass((String) m.get("errorClass"))
                .message((String) m.get("message")).stackTrace((String) m.get("stackTrace"))
                .classification((String) m.get("classification")).attempts(((Number) m.get("attempts")).intValue())
                .source(SourcePosition.fromMap((Map<?, ?>) m.get("source")));
            b.firstFailure = ((Number) m.get("firstFailureEpochMillis")).longValue();
            b.lastFailure = ((Number) m.get("lastFailureEpochMillis")).longValue();
            return new DeadLetter(new DeadLetter(b), (String) m.get("checksum"));
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("dead letter has a missing or mistyped field: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DeadLetter)) {
            return false;
        }
        DeadLetter d = (DeadLetter) o;
        return attempts == d.attempts && firstFailureEpochMillis == d.firstFailureEpochMillis
            && lastFailureEpochMillis == d.lastFailureEpochMillis && Objects.equals(key, d.key)
            && Objects.equals(payload, d.payload) && Objects.equals(errorClass, d.errorClass)
            && Objects.equals(message, d.message) && Objects.equals(stackTrace, d.stackTrace)
            && Objects.equals(classification, d.classification) && source.equals(d.source)
            && Objects.equals(checksum, d.checksum);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, errorClass, checksum);
    }

    /** Short and safe to log: no payload, no message. */
    @Override
    public String toString() {
        return "DeadLetter{key=" + key + ", error=" + errorClass + ", kind=" + classification + ", attempts=" + attempts
            + ", source=" + source + ", checksum=" + checksum + '}';
    }

    /** Builds a {@link DeadLetter}. */
    public static final class Builder {
        /** Frames kept per exception of the cause chain. */
        public static final int DEFAULT_MAX_FRAMES = 12;
        private static final int MAX_CAUSES = 6;

        private String key;
        private Object payload;
        private String errorClass;
        private String message;
        private String stackTrace;
        private String classification;
        private int attempts;
        private long firstFailure = Long.MIN_VALUE;
        private long lastFailure = Long.MIN_VALUE;
        private SourcePosition source;
        private int maxFrames = DEFAULT_MAX_FRAMES;

        public Builder key(String key) {
            this.key = key;
            return this;
        }

        public Builder payload(Object payload) {
            this.payload = payload;
            return this;
        }

        public Builder errorClass(String errorClass) {
            this.errorClass = errorClass;
            return this;
        }

        public Builder message(String message) {
            this.message = message;
            return this;
        }

        public Builder stackTrace(String stackTrace) {
            this.stackTrace = stackTrace;
            return this;
        }

        public Builder classification(String classification) {
            this.classification = classification;
            return this;
        }

        public Builder classification(FailureKind kind) {
            this.classification = kind == null ? null : kind.name();
            return this;
        }

        public Builder attempts(int attempts) {
            if (attempts < 0) {
                throw new IllegalArgumentException("attempts must not be negative, was " + attempts);
            }
            this.attempts = attempts;
            return this;
        }

        /** Frames kept per exception when {@link #failure} renders the stack trace (default 12). */
        public Builder maxFrames(int maxFrames) {
            this.maxFrames = Math.max(0, maxFrames);
            return this;
        }

        /**
         * Fills error class, message, trimmed stack trace and, for a {@link ResilienceException},
         * attempts and (for {@link CallFailedException}) the classification. The error is the
         * policy's last failure (the cause) when there is one.
         */
        public Builder failure(Throwable failure) {
            return failure(failure, null, 0L);
        }

        /** Like {@link #failure(Throwable)}, classifying with {@code classifier} when the kind is not known yet. */
        public Builder failure(Throwable failure, FailureClassifier classifier, long nowEpochMillis) {
            Objects.requireNonNull(failure, "failure");
            Throwable error = failure;
            if (failure instanceof ResilienceException) {
                ResilienceException re = (ResilienceException) failure;
                if (re.attempts() > 0) {
                    attempts = re.attempts();
                }
                if (failure instanceof CallFailedException) {
                    classification(((CallFailedException) failure).failureKind());
                }
                if (failure.getCause() != null) {
                    error = failure.getCause();
                }
            }
            if (classification == null && classifier != null) {
                classification(classifier.classify(error, nowEpochMillis).kind());
            }
            if (attempts == 0) {
                attempts = 1;
            }
            errorClass = error.getClass().getName();
            message = error.getMessage();
            stackTrace = trim(failure, maxFrames);
            return this;
        }

        /** Sets the last failure time, and the first too if it is not set yet. */
        public Builder failedAt(long epochMillis) {
            if (firstFailure == Long.MIN_VALUE) {
                firstFailure = epochMillis;
            }
            lastFailure = epochMillis;
            return this;
        }

        public Builder firstFailure(long epochMillis) {
            this.firstFailure = epochMillis;
            return this;
        }

        public Builder lastFailure(long epochMillis) {
            this.lastFailure = epochMillis;
            return this;
        }

        public Builder source(SourcePosition source) {
            this.source = source;
            return this;
        }

        public DeadLetter build() {
            if (firstFailure == Long.MIN_VALUE || lastFailure == Long.MIN_VALUE) {
                throw new IllegalArgumentException("dead letter needs its failure times: call failedAt(epochMillis)");
            }
            if (lastFailure < firstFailure) {
                throw new IllegalArgumentException("last failure (" + lastFailure + ") is before the first (" + firstFailure + ")");
            }
            if (errorClass == null) {
                throw new IllegalArgumentException("dead letter needs an error: call failure(throwable) or errorClass(name)");
            }
            return new DeadLetter(this);
        }

        /** Each exception of the cause chain with at most {@code maxFrames} frames. */
        static String trim(Throwable t, int maxFrames) {
            StringBuilder sb = new StringBuilder();
            Throwable cur = t;
            for (int depth = 0; cur != null && depth < MAX_CAUSES; depth++) {
                if (depth > 0) {
                    sb.append("Caused by: ");
                }
                sb.append(cur.getClass().getName());
                if (cur.getMessage() != null) {
                    sb.append(": ").append(cur.getMessage());
                }
                sb.append('\n');
                StackTraceElement[] frames = cur.getStackTrace();
                int n = Math.min(frames.length, maxFrames);
                for (int i = 0; i < n; i++) {
                    sb.append("\tat ").append(frames[i]).append('\n');
                }
                if (frames.length > n) {
                    sb.append("\t... ").append(frames.length - n).append(" more\n");
                }
                cur = cur.getCause() == cur ? null : cur.getCause();
            }
            return sb.toString();
        }
    }
}
