package io.resiliencekit.spark.cluster;

import java.io.Serializable;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Names a driver-side service and the types it exchanges with executors, so requests and responses
 * are typed at both ends.
 *
 * <pre>{@code
 * static final ServiceKey<Ping, Pong> PING = ServiceKey.of("myjob.ping", Ping.class, Pong.class);
 * // driver:   ResilienceCluster.driverServices().register(PING, ping -> new Pong(ping.n()));
 * // executor: Pong pong = ResilienceCluster.coordinator().orElseThrow().ask(PING, new Ping(1));
 * }</pre>
 *
 * @param <Q> request type, Serializable (it crosses Spark's RPC)
 * @param <R> response type, Serializable
 */
public final class ServiceKey<Q extends Serializable, R extends Serializable> implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,199}");

    private final String name;
    private final Class<Q> requestType;
    private final Class<R> responseType;

    private ServiceKey(String name, Class<Q> requestType, Class<R> responseType) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("service name must match " + NAME + ", was '" + name + "'");
        }
        this.name = name;
        this.requestType = Objects.requireNonNull(requestType, "requestType");
        this.responseType = Objects.requireNonNull(responseType, "responseType");
    }

    public static <Q extends Serializable, R extends Serializable> ServiceKey<Q, R> of(
            String name, Class<Q> requestType, Class<R> responseType) {
        return new ServiceKey<>(name, requestType, responseType);
    }

    public String name() {
        return name;
    }

    public Class<Q> requestType() {
        return requestType;
    }

    public Class<R> responseType() {
        return responseType;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServiceKey && ((ServiceKey<?, ?>) o).name.equals(name)
                && ((ServiceKey<?, ?>) o).requestType.equals(requestType)
                && ((ServiceKey<?, ?>) o).responseType.equals(responseType);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "ServiceKey[" + name + ": " + requestType.getSimpleName() + " -> " + responseType.getSimpleName() + "]";
    }
}
