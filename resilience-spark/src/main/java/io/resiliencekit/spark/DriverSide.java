package io.resiliencekit.spark;


import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.cluster.ServiceKey;

import io.resiliencekit.policy.ResilienceRuntime;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.codahale.metrics.Gauge;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * Driver side of {@link ResiliencePlugin}: validates the options, hosts the {@link DriverServices}
 * and answers executors' requests on Spark's RPC threads.
 *
 * <p>Metrics: {@code rpc.requests}, {@code rpc.errors} (counters), {@code services} (gauge), plus
 * those of the built-in services.
 */
final class DriverSide implements DriverPlugin {

    private static final Logger LOG = LoggerFactory.getLogger(DriverSide.class);

    private volatile DriverServices services;
    private volatile PluginOptions options;
    private volatile ClusterCoordinator local;
    private volatile SparkContext context;
    private volatile ExecutorLossListener executorLoss;

    @Override
    public Map<String, String> init(SparkContext sc, PluginContext ctx) {
        Map<String, String> conf = new HashMap<>();
        for (scala.Tuple2<String, String> kv : sc.getConf().getAll()) {
            conf.put(kv._1(), kv._2());
        }
        options = PluginOptions.fromOptions(conf); // ConfigException stops the app with every problem
        services = new DriverServices(ctx.metricRegistry());
        BuiltInServices.install(services, options);
        local = new DriverLocalCoordinator(services);
        // a lost executor's idempotency holds are released as soon as Spark says it is gone
        context = sc;
        executorLoss = new ExecutorLossListener(services);
        sc.addSparkListener(executorLoss);
        // Driver code (validation, health checks) reaches the services without RPC; in local mode the
        // executor side, which starts next in this JVM, binds its own cluster and keeps this driver side.
        ResilienceRuntime.shared().bindCluster(new SparkCluster(local, options, this));
        LOG.info("resiliencekit plugin started on the driver with {}; services {}", options, services.names());
        return options.toOptions();
    }

    @Override
    public void registerMetrics(String appId, PluginContext ctx) {
        DriverServices s = services;
        ctx.metricRegistry().register("services", (Gauge<Integer>) () -> s.names().size());
    }

    @Override
    public Object receive(Object message) {
        // executors send byte[] (see RpcMessages: Spark's RPC must never need our classes)
        Object decoded = message instanceof byte[] ? RpcMessages.decode((byte[]) message) : message;
        if (decoded instanceof RpcMessages.Batch) {
            // the requests of one executor that waited at the same time (GroupedAsks), answered in order
            RpcMessages.Request[] requests = ((RpcMessages.Batch) decoded).requests;
            RpcMessages.Reply[] replies = new RpcMessages.Reply[requests.length];
            for (int i = 0; i < requests.length; i++) {
                replies[i] = answer(requests[i]);
            }
            return RpcMessages.encode(new RpcMessages.BatchReply(replies));
        }
        if (!(decoded instanceof RpcMessages.Request)) {
            throw new IllegalArgumentException("resiliencekit plugin: unexpected message "
                    + (decoded == null ? "null" : decoded.getClass().getName()));
        }
        return RpcMessages.encode(answer((RpcMessages.Request) decoded));
    }

    private RpcMessages.Reply answer(RpcMessages.Request r) {
        try {
            return RpcMessages.Reply.ok(services.dispatch(r.caller, r.service, r.payload));
        } catch (ClusterCoordinationException e) {
            LOG.debug("request to {} from executor {} failed", r.service, r.caller, e);
            return RpcMessages.Reply.failed(e.getMessage());
        }
    }

    @Override
    public void shutdown() {
        SparkContext sc = context;
        if (sc != null && executorLoss != null) {
            sc.removeSparkListener(executorLoss);
        }
        ResilienceRuntime.shared().cluster()
                .filter(c -> c instanceof SparkCluster && ((SparkCluster) c).driver().orElse(null) == this)
                .ifPresent(c -> {
                    ResilienceRuntime.shared().unbindCluster(c);
                    ResilienceCluster.markShutDown();
                });
        BuiltInServices.shutdown(services);
    }

    DriverServices services() {
        return services;
    }

    PluginOptions options() {
        return options;
    }

    ClusterCoordinator localCoordinator() {
        return local;
    }

    /** Driver code calling the services without RPC. */
    private static final class DriverLocalCoordinator implements ClusterCoordinator {
        private final DriverServices services;

        DriverLocalCoordinator(DriverServices services) {
            this.services = services;
        }

        @Override
        public String executorId() {
            return "driver";
        }

        @Override
        public boolean isDriverLocal() {
            return true;
        }

        @Override
        public <Q extends Serializable, R extends Serializable> R ask(ServiceKey<Q, R> key, Q request) {
            Serializable v = services.dispatch("driver", key.name(), request);
            return ExecutorSide.cast(key, v);
        }

        @Override
        public <Q extends Serializable, R extends Serializable> CompletableFuture<R> askAsync(ServiceKey<Q, R> key, Q request) {
            try {
                return CompletableFuture.completedFuture(ask(key, request));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public <Q extends Serializable> void send(ServiceKey<Q, ?> key, Q request) {
            try {
                services.dispatch("driver", key.name(), request);
            } catch (RuntimeException e) {
                LOG.warn("send to {} failed: {}", key.name(), e.getMessage());
            }
        }
    }
}
