package io.resiliencekit.spark.partition;

import io.resiliencekit.ResiliencePolicy;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The serializable recipe of a policy, shipped to executors inside the helper's closure. Each JVM
 * builds the runtime once per policy name ({@link PolicyRegistry}) and every task of that JVM shares
 * it: one breaker, one limiter, one idempotency guard per executor (and cluster-wide through the
 * plugin when it is installed).
 *
 * <pre>{@code
 * PolicySpec orders = PolicySpec.of("orders", () -> ResiliencePolicy.builder("orders")
 *     .retry(RetryConfig.builder().maxAttempts(5).build())
 *     .build());
 * }</pre>
 */
public interface PolicySpec extends Serializable {

    /** Identifier-like: letters, digits, '.', '_' and '-'. */
    Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    /** Policy name; the registry key within one JVM. */
    String name();

    /** Builds the runtime policy; called at most once per JVM and name. {@code null} means pass-through. */
    ResiliencePolicy create();

    /** Problems found on the driver before any task starts (the helpers add their own). */
    default List<String> problems() {
        return List.of();
    }

    /** A named policy built in each JVM by {@code factory} (a serializable lambda). */
    static PolicySpec of(String name, PolicyFactory factory) {
        Objects.requireNonNull(factory, "factory");
        return new Named(name, factory);
    }

    /**
     * No policy: each record's action runs once, directly. Useful as a baseline and for jobs that
     * only want the helpers' resource handling, dead letters and metrics.
     */
    static PolicySpec passThrough(String name) {
        return new Named(name, null);
    }

    /** Serializable factory of a {@link ResiliencePolicy}. */
    @FunctionalInterface
    interface PolicyFactory extends Serializable {
        ResiliencePolicy create();
    }

    /** The built-in spec. */
    final class Named implements PolicySpec {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final PolicyFactory factory;

        Named(String name, PolicyFactory factory) {
            this.name = name;
            this.factory = factory;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public ResiliencePolicy create() {
            return factory == null ? null : factory.create();
        }

        @Override
        public List<String> problems() {
            if (name == null || !NAME.matcher(name).matches()) {
                return List.of("policy.name: must be 1-100 letters, digits, '.', '_' or '-', was '" + name + "'");
            }
            return List.of();
        }

        @Override
        public String toString() {
            return "PolicySpec{" + name + (factory == null ? ", pass-through" : "") + '}';
        }
    }
}
