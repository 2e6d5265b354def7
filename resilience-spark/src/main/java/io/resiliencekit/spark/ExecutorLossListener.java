package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.idempotency.DriverLedger;
import io.resiliencekit.spark.ratelimit.DriverTokenAuthority;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the driver's services when Spark removes an executor (its JVM died, was killed or
 * decommissioned): the ledger releases the keys that executor held, so the tasks Spark re-runs
 * elsewhere claim them at once instead of waiting for the holds to expire; the token authority
 * forgets its limiter clients, so the fallback share kept aside for them (in case a client cut off
 * from the driver still admits) goes back to the running executors at once instead of after up to
 * a minute. Not for an executor removed for missed heartbeats: it may still run, so its
 * reservation runs out by itself.
 *
 * <pre>{@code
 * sc.addSparkListener(new ExecutorLossListener(services));   // DriverSide does this
 * }</pre>
 *
 * <p>Spark delivers listener events asynchronously, so a re-run may ask for a key a moment before
 * its release: it finds the key in progress and polls again ({@code idempotency.pollMax}, 2 s by
 * default), then claims it.
 */
final class ExecutorLossListener extends SparkListener {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorLossListener.class);

    private final DriverServices services;

    ExecutorLossListener(DriverServices services) {
        this.services = services;
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        String executor = removed.executorId();
        // the limiter: its share kept aside for a client that may still admit while cut off; an
        // executor that stopped answering heartbeats may still run, so that one keeps its reservation
        String reason = String.valueOf(removed.reason());
        if (!reason.toLowerCase(java.util.Locale.ROOT).contains("heartbeat")) {
            services.component(DriverTokenAuthority.class).ifPresent(authority -> {
                int forgotten = authority.releaseClientsOf(executor);
                if (forgotten > 0) {
                    LOG.info("executor {} is gone ({}): its {} limiter client(s) forgotten, their share of the rate goes to"
                        + " the executors still running", executor, reason, forgotten);
                }
            });
        }
        services.component(DriverLedger.class).ifPresent(ledger -> {
            int released = ledger.releaseHoldsOf(executor);
            if (released > 0) {
                LOG.info("executor {} is gone ({}): released the {} idempotency key(s) it held, so re-run tasks can claim"
                    + " them now", executor, removed.reason(), released);
            }
        });
    }
}
