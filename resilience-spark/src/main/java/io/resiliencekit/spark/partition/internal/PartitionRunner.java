package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.CallContext;
import io.resiliencekit.CallFailedException;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.RateLimitedException;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spark.partition.BatchFunction;
import io.resiliencekit.spark.partition.ContentFunction;
import io.resiliencekit.spark.partition.KeyFunction;
import io.resiliencekit.spark.partition.PartitionFailedException;
import io.resiliencekit.spark.partition.PartitionInfo;
import io.resiliencekit.spark.partition.PartitionMetrics;
import io.resiliencekit.spark.partition.PartitionMetricsAccumulator;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.partition.RecordFunction;
import io.resiliencekit.spark.partition.ResourceFactory;
import io.resiliencekit.spark.partition.ResourceFunction;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.FailureKind;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.Redactor;
import io.resiliencekit.deadletter.SourcePosition;
import io.resiliencekit.logging.MdcScope;
import io.resiliencekit.spark.ResilienceCluster;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.TaskFailureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind every helper form: processes one partition lazily, record by record or batch by
 * batch, through the JVM's policy runtime. Serializable; the per-partition state lives in {@link Run}.
 */
public final class PartitionRunner<C extends AutoCloseable, T, R> implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionRunner.class);
    private static final String[] MDC_KEYS = {"appId", "jobId", "stage", "partition", "attempt"};

    private final ResiliencePolicyConfig spec;
    private final PartitionOptions options;
    private final ResourceFactory<C> resources;
    private final ResourceFunction<C, T, R> perRecord;
    private final BatchFunction<C, T, R> perBatch;
    private final KeyFunction<T> keyFn;
    private final ContentFunction<T> contentFn;
    private final RecordFunction<T, ?> payloadFn;
    private final Redactor redactor;
    private final PartitionMetricsAccumulator accumulator;

    public PartitionRunner(ResiliencePolicyConfig spec, PartitionOptions options, ResourceFactory<C> resources,
                           ResourceFunction<C, T, R> perRecord, BatchFunction<C, T, R> perBatch, KeyFunction<T> keyFn,
                           ContentFunction<T> contentFn, RecordFunction<T, ?> payloadFn, Redactor redactor,
                           PartitionMetricsAccumulator accumulator) {
        this.spec = spec;
        this.options = options;
        this.resources = resources;
        this.perRecord = perRecord;
        this.perBatch = perBatch;
        this.keyFn = keyFn;
        this.contentFn = contentFn;
        this.payloadFn = payloadFn;
        this.redactor = redactor == null ? Redactor.defaults() : redactor;
        this.accumulator = accumulator;
    }

    /** Lazily maps the partition; the resource is closed and the metrics line written when it ends. */
    public Iterator<R> process(Iterator<T> input) {
        return new Run(input, true);
    }

    /** Drains the partition, discarding outputs. */
    public void consume(Iterator<T> input) {
        new Run(input, false).drain();
    }

    static PartitionInfo partitionInfo(PartitionOptions o) {
        TaskContext tc = TaskContext.get();
        SparkEnv env = SparkEnv.get();
        String appId = env == null ? "" : env.conf().getAppId();
        String executor = env == null ? "" : env.executorId();
        if (tc == null) {
            return new PartitionInfo(appId, o.jobId() == null ? "" : o.jobId(), o.runId(), -1, -1, -1, -1, -1, executor);
        }
        String job = o.jobId() != null ? o.jobId() : tc.getLocalProperty("spark.jobGroup.id");
        return new PartitionInfo(appId, job == null ? "" : job, o.runId(), tc.stageId(), tc.stageAttemptNumber(),
            tc.partitionId(), tc.attemptNumber(), tc.taskAttemptId(), executor);
    }

    /** The state of one task attempt over its partition. */
    private final class Run implements Iterator<R> {
        private final Iterator<T> input;
        private final boolean keepOutputs;
        private final ArrayDeque<R> out = new ArrayDeque<>();
        private final PartitionCounters counters = new PartitionCounters();
        private final ResiliencePolicy runtime;
        // one task thread makes every call of the partition: count without atomics, flush at the end
        private final ResiliencePolicy.Caller caller;
        private final int batchSize;
        private PartitionInfo info;
        private RecordKeys keys;
        private C resource;
        // This attempt's letters: one unpublished file, published on success, discarded otherwise.
        private HadoopDeadLetterSink deadLetters;
        private long startNanos;
        private boolean started;
        private boolean finished;
        private boolean invoked;
        private T current;
        // Per-record mode keeps at most one output: a slot, not the deque (hot path of map()).
        private R slot;
        private boolean slotFull;
        private final io.resiliencekit.CheckedSupplier<R> recordCall = () -> {
            invoked = true;
            return perRecord.apply(resource, current);
        };
        private Throwable taskFailure;
        private MdcScope mdc;

        Run(Iterator<T> input, boolean keepOutputs) {
            this.input = input;
            this.keepOutputs = keepOutputs;
            // the JVM's one policy of this name, bound to the cluster when the plugin runs; its events
            // from this partition's calls reach this partition's counters through the caller
            this.runtime = ResilienceCluster.policy(spec);
            this.caller = runtime.caller(counters::onEvent);
            this.batchSize = perBatch == null ? 1 : options.batchSize();
        }

        private void start() {
            started = true;
            startNanos = System.nanoTime();
            info = partitionInfo(options);
            if (options.idempotencyKeys()) {
                keys = new RecordKeys(options.keyNamespace(), options.runId(), info.partition());
            }
            String[] values = {info.appId(), info.jobId(), String.valueOf(info.stageId()),
                String.valueOf(info.partition()), String.valueOf(info.attempt())};
            Map<String, String> attributes = new LinkedHashMap<>();
            for (int i = 0; i < MDC_KEYS.length; i++) {
                attributes.put(MDC_KEYS[i], values[i]);
            }
            mdc = MdcScope.push(attributes);   // restores what the task thread had, in finish()
            counters.bind();
            TaskContext tc = TaskContext.get();
            if (tc != null) {
                // Kills and downstream failures never reach our iterator: the listeners still close
                // the resource and write the line. Failure listeners run before completion ones.
                TaskFailureListener onFailure = (ctx, error) -> taskFailure = error;
                TaskCompletionListener onCompletion = ctx -> {
                    if (!finished) {
                        finish(ctx.isInterrupted() ? "killed" : taskFailure != null ? "failed" : "ok", taskFailure);
                    }
                };
                tc.addTaskFailureListener(onFailure);
                tc.addTaskCompletionListener(onCompletion);
            }
            try {
                resource = resources.open(info);
            } catch (Exception e) {
                RuntimeException failure = new IllegalStateException("cannot open the resource of partition "
                    + info.partition() + " (stage " + info.stageId() + ", attempt " + info.attempt() + "): " + e, e);
                finish("failed", failure);
                throw failure;
            }
        }

        @Override
        public boolean hasNext() {
            if (slotFull || !out.isEmpty()) {
                return true;
            }
            if (finished) {
                return false;
            }
            if (!started) {
                start();
            }
            try {
                while (!slotFull && out.isEmpty()) {
                    if (!input.hasNext()) {
                        finish("ok", null);
                        return false;
                    }
                    if (perBatch == null) {
                        processRecord(input.next());
                    } else {
                        processBatch();
                    }
                }
                return true;
            } catch (RuntimeException | Error e) {
                if (!finished) {
                    finish("failed", e);
                }
                throw e;
            }
        }

        /** foreach: process everything, keep nothing. */
        void drain() {
            start();
            try {
                while (input.hasNext()) {
                    if (perBatch == null) {
                        processRecord(input.next());
                    } else {
                        processBatch();
                    }
                }
                finish("ok", null);
            } catch (RuntimeException | Error e) {
                if (!finished) {
                    finish("failed", e);
                }
                throw e;
            }
        }

        @Override
        public R next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (slotFull) {
                R r = slot;
                slot = null;
                slotFull = false;
                return r;
            }
            return out.poll();
        }

        private void processRecord(T record) {
            long offset = counters.rowsIn++;
            String key = null;
            CallContext ctx = CallContext.NONE;
            try {
                if (keys != null) {
                    ctx = keys.record(record, keyFn, contentFn);
                    key = ctx.idempotencyKey();
                }
            } catch (Exception e) {
                onFailure(record, offset, key, e);
                return;
            }
            counters.currentKey = key;
            try {
                current = record;
                R result = callWaitingForBreaker(ctx, recordCall);
                counters.succeeded++;
                if (!invoked) {
                    counters.duplicatesSkipped++;   // the guard answered from its store: the call was not made
                }
                if (keepOutputs && result != null) {
                    slot = result;
                    slotFull = true;
                }
            } catch (Exception e) {
                onFailure(record, offset, key, e);
            }
        }

        private void processBatch() {
            long firstOffset = counters.rowsIn;
            List<T> batch = new ArrayList<>(batchSize);
            while (batch.size() < batchSize && input.hasNext()) {
                batch.add(input.next());
            }
            counters.rowsIn += batch.size();
            String key = null;
            CallContext ctx = CallContext.NONE;
            try {
                if (keys != null) {
                    ctx = keys.batch(batch, keyFn, contentFn);
                    key = ctx.idempotencyKey();
                }
                counters.currentKey = key;
                C res = resource;
                List<R> results = callWaitingForBreaker(ctx, () -> {
                    invoked = true;
                    return perBatch.apply(res, batch);
                });
                counters.succeeded += batch.size();
                if (!invoked) {
                    counters.duplicatesSkipped += batch.size();
                }
                if (keepOutputs && results != null) {
                    for (R r : results) {
                        if (r != null) {
                            out.add(r);
                        }
                    }
                }
            } catch (Exception e) {
                for (int i = 0; i < batch.size(); i++) {
                    onFailure(batch.get(i), firstOffset + i, key, e);
                }
            }
        }

        /**
         * Calls the policy; while its breaker is open, waits (up to partition.breakerMaxWait in
         * total) and tries again: a dependency that is down is not the record's fault, so the
         * record is neither dead-lettered nor failing the task for it. Interrupts (task kills) stop
         * the wait at once.
         */
        private <X> X callWaitingForBreaker(CallContext ctx, io.resiliencekit.CheckedSupplier<X> action) throws Exception {
            long budget = options.breakerMaxWait().toNanos();
            long waited = 0;
            while (true) {
                invoked = false;
                long rejectionsBefore = counters.breakerRejections;
                try {
                    return caller.call(ctx, action);   // one reusable supplier per record mode: no allocation
                } catch (CircuitOpenException e) {
                    if (counters.breakerRejections == rejectionsBefore) {
                        counters.breakerRejections++;   // no BREAKER_REJECTED event seen: count it here
                    }
                    if (waited >= budget) {
                        throw e;
                    }
                    long pause = e.retryAfter() == null ? 100_000_000L
                        : Math.max(10_000_000L, Math.min(1_000_000_000L, e.retryAfter().toNanos()));
                    pause = Math.min(pause, budget - waited);
                    java.util.concurrent.TimeUnit.NANOSECONDS.sleep(pause);
                    waited += pause;
                }
            }
        }

        private void onFailure(T record, long offset, String key, Exception e) {
            counters.failed++;
            if (e instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                Thread.currentThread().interrupt();
                throw new PartitionFailedException(info, offset, key, e);
            }
            if (!options.continueOnError()) {
                throw new PartitionFailedException(info, offset, key, e);
            }
            if (deadLetters == null) {
                // one writer per task attempt (unique file names, so twins never clobber each other), on
                // the Hadoop file system the path names; no file is published before the attempt succeeds
                deadLetters = new HadoopDeadLetterSink(options.deadLetterPath(), "part",
                    String.format("%05d-s%d-t%d", info.partition(), info.stageId(), info.taskAttemptId()), redactor);
            }
            deadLetters.write(deadLetter(record, offset, key, e));
            counters.deadLettered++;
        }

        private DeadLetter deadLetter(T record, long offset, String key, Exception e) {
            Object payload = null;
            if (payloadFn != null) {
                try {
                    payload = payloadFn.apply(record);
                } catch (Exception pe) {
                    payload = "<payload function failed: " + pe.getClass().getName() + ">";
                }
            }
            long now = System.currentTimeMillis();
            DeadLetter.Builder b = DeadLetter.builder().key(key).payload(payload).failedAt(now)
                .source(SourcePosition.builder().run(info.runId()).stage(info.stageId()).partition(info.partition())
                    .attempt(info.attempt()).offset(offset).build());
            // the policy classified call failures (CallFailedException); a breaker that stayed open
            // past breakerMaxWait or a limiter timeout is not the record's fault: retry it later
            if (e instanceof CircuitOpenException) {
                b.classification(FailureKind.TRANSIENT);
            } else if (e instanceof RateLimitedException) {
                b.classification(FailureKind.THROTTLED);
            }
            try {
                return b.failure(e, FailureClassifier.defaults(), now).build();
            } catch (IllegalArgumentException notJson) {
                // a payload that is not a JSON-like tree must not lose the dead letter
                return b.payload("<payload not storable: " + notJson.getMessage() + ">").build();
            }
        }

        private void abortDeadLetters() {
            try {
                deadLetters.abort();
                deadLetters.close();
            } catch (RuntimeException ex) {
                // best effort: a leftover hidden temporary file is never read
                LOG.warn("discarding the dead letters of partition {} attempt {} failed", info.partition(), info.attempt(), ex);
            }
        }

        private void finish(String status, Throwable error) {
            if (finished) {
                return;
            }
            finished = true;
            caller.close();
            Throwable problem = error;
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (Exception e) {
                LOG.warn("closing the resource of partition {} failed", info.partition(), e);
            }
            if (deadLetters != null) {
                if ("ok".equals(status)) {
                    try {
                        deadLetters.close();   // publishes the attempt's one file atomically
                    } catch (Exception e) {
                        problem = e;
                        status = "failed";
                        abortDeadLetters();
                    }
                } else {
                    abortDeadLetters();       // the retry processes these records again
                }
            }
            PartitionMetrics line = counters.toMetrics(spec.name(), info, status,
                problem == null ? null : problem.getClass().getName(), System.nanoTime() - startNanos);
            try {
                io.resiliencekit.spark.partition.PartitionMetricsLog.publish(line, options.metricsLog());
                if (accumulator != null) {
                    accumulator.add(line);
                }
            } finally {
                counters.unbind();
                if (mdc != null) {
                    mdc.close();
                }
            }
            if (problem != error && problem instanceof Exception ex) {
                throw new IllegalStateException("cannot publish dead letters of partition " + info.partition(), ex);
            }
        }
    }
}
