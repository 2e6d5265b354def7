package io.resiliencekit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one call carries besides its action: an idempotency key with the payload's fingerprint, and
 * attributes for logging (put in the SLF4J MDC while the call runs).
 *
 * <pre>{@code
 * CallContext ctx = CallContext.builder()
 *     .idempotencyKey(keys.forBusinessKey(runId, order.id()))
 *     .fingerprint(Fingerprints.sha256(order.toCanonicalBytes()))
 *     .attribute("orderId", order.id())
 *     .build();
 * policy.call(ctx, () -> api.send(order));
 * }</pre>
 */
public final class CallContext {

    /** No key, no attributes. */
    public static final CallContext NONE = new CallContext(null, null, Map.of());

    private final String idempotencyKey;
    private final String fingerprint;
    private final Map<String, String> attributes;

    private CallContext(String idempotencyKey, String fingerprint, Map<String, String> attributes) {
        this.idempotencyKey = idempotencyKey;
        this.fingerprint = fingerprint;
        this.attributes = attributes;
    }

    public static CallContext ofKey(String idempotencyKey) {
        return new CallContext(Objects.requireNonNull(idempotencyKey, "idempotencyKey"), null, Map.of());
    }

    /** A key and its payload's fingerprint (may be null), no attributes. */
    public static CallContext ofKey(String idempotencyKey, String fingerprint) {
        return new CallContext(Objects.requireNonNull(idempotencyKey, "idempotencyKey"), fingerprint, Map.of());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The idempotency key, or {@code null} when the call is not deduplicated. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** Fingerprint of the payload (e.g. a SHA-256 hex string) so a reused key with other content is caught; may be null. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Attributes for logging and MDC; never put secrets here. */
    public Map<String, String> attributes() {
        return attributes;
    }

    @Override
    public String toString() {
        return "CallContext{key=" + idempotencyKey + ", attributes=" + attributes.keySet() + '}';
    }

    /** Builds a {@link CallContext}. */
    public static final class Builder {
        private String idempotencyKey;
        private String fingerprint;
        private final Map<String, String> attributes = new LinkedHashMap<>();

        public Builder idempotencyKey(String key) {
            this.idempotencyKey = key;
            return this;
        }

        public Builder fingerprint(String fingerprint) {
            this.fingerprint = fingerprint;
            return this;
        }

        public Builder attribute(String name, String value) {
            attributes.put(Objects.requireNonNull(name, "name"), value);
            return this;
        }

        public CallContext build() {
            return new CallContext(idempotencyKey, fingerprint,
                attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes)));
        }
    }
}
