package io.resiliencekit.spark;


import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.cluster.ServiceKey;

import io.resiliencekit.policy.ResilienceRuntime;

import java.io.Serializable;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.codahale.metrics.Counter;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executor side of {@link ResiliencePlugin}: keeps the {@link PluginContext} so code in tasks can
 * reach the driver through {@link ResilienceCluster#coordinator()}.
 *
 * <p>Metrics: {@code rpc.asks}, {@code rpc.sends}, {@code rpc.failures}, {@code rpc.groups} (the
 * messages that carried {@link ClusterCoordinator#askGrouped} requests) (counters).
 */
final class ExecutorSide implements ExecutorPlugin {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorSide.class);

    private volatile PluginCoordinator coordinator;
    private volatile SparkCluster cluster;

    @Override
    public void init(PluginContext ctx, Map<String, String> extraConf) {
        PluginOptions options = PluginOptions.fromOptions(extraConf);
        coordinator = new PluginCoordinator(ctx, options);
        // in local mode the driver side runs in this JVM too: keep it reachable
        DriverSide driver = ResilienceCluster.driverSide().orElse(null);
        cluster = new SparkCluster(coordinator, options, driver);
        ResilienceRuntime.shared().bindCluster(cluster);
        LOG.info("resiliencekit plugin started on executor {}", ctx.executorID());
    }

    @Override
    public void shutdown() {
        PluginCoordinator c = coordinator;
        if (c != null) {
            ResilienceRuntime.shared().unbindCluster(cluster);
            ResilienceCluster.markShutDown();
            c.close();
        }
    }

    static <R extends Serializable> R cast(ServiceKey<?, R> key, Serializable value) {
        if (value != null && !key.responseType().isInstance(value)) {
            throw new ClusterCoordinationException(key.name(), "expected a " + key.responseType().getName()
                    + " reply but got " + value.getClass().getName(), null);
        }
        return key.responseType().cast(value);
    }

    /** Requests over {@link PluginContext#ask}/{@link PluginContext#send}. */
    static final class PluginCoordinator implements ClusterCoordinator {
        private final PluginContext ctx;
        private final PluginOptions options;
        private final ExecutorService pool;
        private final ThreadPoolExecutor groupSender;
        private final GroupedAsks grouped;
        private final Counter asks;
        private final Counter groups;
        private final Counter sends;
        private final Counter failures;
        private final java.util.List<Runnable> shutdownActions = new java.util.concurrent.CopyOnWriteArrayList<>();

        PluginCoordinator(PluginContext ctx, PluginOptions options) {
            this.ctx = ctx;
            this.options = options;
            AtomicInteger n = new AtomicInteger();
            ThreadPoolExecutor p = new ThreadPoolExecutor(options.rpcThreads(), options.rpcThreads(),
                    30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "resiliencekit-rpc-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            p.allowCoreThreadTimeOut(true);
            this.pool = p;
            ThreadPoolExecutor g = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "resiliencekit-rpc-group");
                t.setDaemon(true);
                return t;
            });
            g.allowCoreThreadTimeOut(true);
            this.groupSender = g;
            this.grouped = new GroupedAsks(this::sendGroup, g);
            this.asks = ctx.metricRegistry().counter("rpc.asks");
            this.groups = ctx.metricRegistry().counter("rpc.groups");
            this.sends = ctx.metricRegistry().counter("rpc.sends");
            this.failures = ctx.metricRegistry().counter("rpc.failures");
        }

        PluginOptions options() {
            return options;
        }

        @Override
        public String executorId() {
            return ctx.executorID();
        }

        @Override
        public boolean isDriverLocal() {
            return false;
        }

        @Override
        public <Q extends Serializable, R extends Serializable> R ask(ServiceKey<Q, R> key, Q request) {
            asks.inc();
            Object reply;
            try {
                reply = ctx.ask(RpcMessages.encode(new RpcMessages.Request(ctx.executorID(), key.name(), request)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.inc();
                throw new ClusterCoordinationException(key.name(), "interrupted while waiting for the driver", e);
            } catch (Exception e) {
                failures.inc();
                throw new ClusterCoordinationException(key.name(), "RPC to the driver failed: " + e, e);
            }
            Object decoded = reply instanceof byte[] ? RpcMessages.decode((byte[]) reply) : reply;
            if (!(decoded instanceof RpcMessages.Reply)) {
                failures.inc();
                throw new ClusterCoordinationException(key.name(), "unexpected reply "
                        + (decoded == null ? "null" : decoded.getClass().getName()), null);
            }
            return valueOf(key, (RpcMessages.Reply) decoded);
        }

        /** The service's answer in {@code r}, or its error as an exception. */
        private <R extends Serializable> R valueOf(ServiceKey<?, R> key, RpcMessages.Reply r) {
            if (r.error != null) {
                failures.inc();
                throw new ClusterCoordinationException(key.name(), "driver answered: " + r.error, null);
            }
            return cast(key, r.value);
        }

        @Override
        public <Q extends Serializable, R extends Serializable> R askGrouped(ServiceKey<Q, R> key, Q request) {
            asks.inc();
            return valueOf(key, grouped.ask(new RpcMessages.Request(ctx.executorID(), key.name(), request)));
        }

        private RpcMessages.Reply[] sendGroup(RpcMessages.Request[] group) throws Exception {
            groups.inc();
            Object reply;
            try {
                reply = ctx.ask(RpcMessages.encode(new RpcMessages.Batch(group)));
            } catch (Exception e) {
                failures.inc();
                throw e;
            }
            Object decoded = reply instanceof byte[] ? RpcMessages.decode((byte[]) reply) : reply;
            if (!(decoded instanceof RpcMessages.BatchReply)) {
                failures.inc();
                throw new IllegalStateException("unexpected reply " + (decoded == null ? "null" : decoded.getClass().getName()));
            }
            return ((RpcMessages.BatchReply) decoded).replies;
        }

        @Override
        public <Q extends Serializable, R extends Serializable> CompletableFuture<R> askAsync(ServiceKey<Q, R> key, Q request) {
            return CompletableFuture.supplyAsync(() -> ask(key, request), pool);
        }

        @Override
        public <Q extends Serializable> void send(ServiceKey<Q, ?> key, Q request) {
            sends.inc();
            try {
                ctx.send(RpcMessages.encode(new RpcMessages.Request(ctx.executorID(), key.name(), request)));
            } catch (Exception e) {
                failures.inc();
                LOG.warn("send to driver service {} failed: {}", key.name(), e.toString());
            }
        }

        @Override
        public void onShutdown(Runnable action) {
            shutdownActions.add(action);
        }

        void close() {
            for (Runnable r : shutdownActions) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("shutdown action failed", e);
                }
            }
            pool.shutdownNow();
            groupSender.shutdownNow();
        }
    }
}
