package io.resiliencekit.spark.cluster;

import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;

/**
 * The registry of driver-side services that executors reach through {@link ResiliencePlugin}.
 * The plugin registers its own (token authorities, breaker board, idempotency ledger); an
 * application may add its own on the driver before starting jobs.
 *
 * <pre>{@code
 * DriverServices services = ResilienceCluster.driverServices();
 * services.register(MY_KEY, (caller, req) -> new MyReply(...));
 * }</pre>
 */
public final class DriverServices {

    private final Map<String, Entry<?, ?>> services = new ConcurrentHashMap<>();
    private final Map<Class<?>, Object> components = new ConcurrentHashMap<>();
    private final MetricRegistry metrics;
    private final Counter requests;
    private final Counter errors;

    public DriverServices(MetricRegistry metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.requests = metrics.counter("rpc.requests");
        this.errors = metrics.counter("rpc.errors");
    }

    /**
     * Registers {@code service} under {@code key}'s name.
     *
     * @throws IllegalStateException if another service already has that name
     */
    public <Q extends Serializable, R extends Serializable> void register(ServiceKey<Q, R> key, DriverService<Q, R> service) {
        Objects.requireNonNull(service, "service");
        Entry<Q, R> previous = castEntry(services.putIfAbsent(key.name(), new Entry<>(key, service)));
        if (previous != null) {
            throw new IllegalStateException("a driver service named '" + key.name() + "' is already registered");
        }
    }

    /** Removes the service named by {@code key}; returns true if there was one. */
    public boolean unregister(ServiceKey<?, ?> key) {
        return services.remove(key.name()) != null;
    }

    /** Keeps {@code component} (a built-in service's implementation) so driver code can find it by type. */
    public <T> void attach(Class<T> type, T component) {
        components.put(type, type.cast(component));
    }

    /** The component attached under {@code type}, if any. */
    public <T> java.util.Optional<T> component(Class<T> type) {
        return java.util.Optional.ofNullable(type.cast(components.get(type)));
    }

    public Set<String> names() {
        return new TreeSet<>(services.keySet());
    }

    /** The plugin's Dropwizard registry, exported by Spark's metrics system (JMX, Prometheus...). */
    public MetricRegistry metrics() {
        return metrics;
    }

    /**
     * Dispatches one request as the plugin does for executors.
     *
     * @throws ClusterCoordinationException for an unknown service, a request of the wrong type, or a
     *     service failure (with the failure as cause)
     */
    public Serializable dispatch(String caller, String serviceName, Serializable request) {
        requests.inc();
        Entry<?, ?> e = services.get(serviceName);
        if (e == null) {
            errors.inc();
            throw new ClusterCoordinationException(serviceName, "no such service on the driver (registered: "
                    + names() + ")", null);
        }
        try {
            return e.handle(caller, request);
        } catch (ClusterCoordinationException ex) {
            errors.inc();
            throw ex;
        } catch (Exception ex) {
            errors.inc();
            throw new ClusterCoordinationException(serviceName, ex.getClass().getName() + ": " + ex.getMessage(), ex);
        }
    }

    @SuppressWarnings("unchecked")
    private static <Q extends Serializable, R extends Serializable> Entry<Q, R> castEntry(Entry<?, ?> e) {
        return (Entry<Q, R>) e;
    }

    private static final class Entry<Q extends Serializable, R extends Serializable> {
        final ServiceKey<Q, R> key;
        final DriverService<Q, R> service;

        Entry(ServiceKey<Q, R> key, DriverService<Q, R> service) {
            this.key = key;
            this.service = service;
        }

        R handle(String caller, Serializable request) throws Exception {
            if (!key.requestType().isInstance(request)) {
                throw new ClusterCoordinationException(key.name(), "expected a " + key.requestType().getName()
                        + " but got " + (request == null ? "null" : request.getClass().getName()), null);
            }
            return service.handle(caller, key.requestType().cast(request));
        }
    }
}
