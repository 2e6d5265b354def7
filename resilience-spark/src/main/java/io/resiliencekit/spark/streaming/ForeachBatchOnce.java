package io.resiliencekit.spark.streaming;

import io.resiliencekit.CallContext;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spark.ResilienceCluster;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code foreachBatch} function that applies each micro-batch once: the batch's key
 * ({@code fb:<appId>:<batchId>}) is claimed in the policy's idempotency store before your function
 * runs and completed after it returns, so a batch that Structured Streaming replays after a restart
 * (its commit log entry was not written) is skipped. Delta's {@code txnAppId}/{@code txnVersion},
 * for any target.
 *
 * <pre>{@code
 * ResiliencePolicyConfig policy = ResiliencePolicyConfig.fromOptions(Map.of(
 *     "name", "orders-stream",
 *     "idempotency.store", "jdbc", "idempotency.url", "jdbc:postgresql://db/ops"));   // survives an application restart
 * orders.writeStream()
 *     .option("checkpointLocation", "/chk/orders")
 *     .foreachBatch(ForeachBatchOnce.of("orders-to-warehouse", policy, (batch, id) -> upsert(batch)))
 *     .start();
 * }</pre>
 *
 * <p>Where the keys live decides what a replay may be: the driver's ledger or a memory store
 * survive a restart of the query within the same application; a {@code jdbc} store also a restart
 * of the application. The policy's retries re-run a failed batch function (so it should be harmless
 * to repeat a partially applied batch, as any {@code foreachBatch} must be).
 */
public final class ForeachBatchOnce {

    private static final Logger LOG = LoggerFactory.getLogger(ForeachBatchOnce.class);
    private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

    private ForeachBatchOnce() {
    }

    /**
     * Applies each batch once per {@code appId} (a stable name of the stream's target, as Delta's
     * {@code txnAppId}: keep it when the checkpoint moves).
     *
     * @throws ConfigException if the app id is malformed or the policy has no idempotency guard
     */
    public static <T> VoidFunction2<Dataset<T>, Long> of(String appId, ResiliencePolicyConfig policy,
                                                         VoidFunction2<Dataset<T>, Long> batchFunction) {
        check(appId, policy, batchFunction, true);
        return new Once<>(appId, policy, batchFunction);
    }

    /** Applies each batch once per streaming query id (which stays the same while the checkpoint does). */
    public static <T> VoidFunction2<Dataset<T>, Long> of(ResiliencePolicyConfig policy, VoidFunction2<Dataset<T>, Long> batchFunction) {
        check(null, policy, batchFunction, false);
        return new Once<>(null, policy, batchFunction);
    }

    private static void check(String appId, ResiliencePolicyConfig policy, Object fn, boolean appIdGiven) {
        List<String> problems = new java.util.ArrayList<>();
        if (appIdGiven && (appId == null || !APP_ID.matcher(appId).matches())) {
            problems.add("appId: must be 1-100 letters, digits, '.', '_' or '-', was " + (appId == null ? "null" : "'" + appId + "'"));
        }
        if (policy == null) {
            problems.add("policy: is required");
        } else if (policy.idempotency().isEmpty()) {
            problems.add("policy: needs an idempotency guard (idempotency.* options, e.g. idempotency.store=jdbc to "
                + "survive an application restart) to remember the batches applied");
        }
        if (fn == null) {
            problems.add("batchFunction: is required");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    private static final class Once<T> implements VoidFunction2<Dataset<T>, Long> {
        private static final long serialVersionUID = 1L;
        private final String appId;
        private final ResiliencePolicyConfig policy;
        private final VoidFunction2<Dataset<T>, Long> fn;

        Once(String appId, ResiliencePolicyConfig policy, VoidFunction2<Dataset<T>, Long> fn) {
            this.appId = appId;
            this.policy = policy;
            this.fn = fn;
        }

        @Override
        public void call(Dataset<T> batch, Long batchId) throws Exception {
            String app = appId;
            if (app == null) {
                // foreachBatch runs on the query's own thread, which carries the query id as a local property
                app = SparkContext.getOrCreate().getLocalProperty(QUERY_ID_PROPERTY);
                if (app == null) {
                    throw new IllegalStateException("no streaming query id on this thread: call ForeachBatchOnce from "
                        + "foreachBatch, or give it an appId");
                }
            }
            String key = IdempotencyKeys.namespace("fb").forBusinessKey(app, Long.toString(batchId));
            boolean[] ran = new boolean[1];
            ResiliencePolicy p = ResilienceCluster.policy(policy);
            p.call(CallContext.ofKey(key), () -> {
                ran[0] = true;
                fn.call(batch, batchId);
                return "applied";
            });
            if (!ran[0]) {
                LOG.info("foreachBatch: batch {} of {} was applied before; skipped", batchId, app);
            }
        }
    }
}
