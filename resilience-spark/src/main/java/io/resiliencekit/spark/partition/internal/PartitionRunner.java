package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.FailureKind;
import io.resiliencekit.RateLimitedException;
import io.resiliencekit.ResilienceException;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.deadletter.Redactor;
import io.resiliencekit.deadletter.SourcePosition;
import io.resiliencekit.logging.MdcScope;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.ratelimit.TokenBucketFactory;
import io.resiliencekit.spark.ResilienceCluster;
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
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.TaskFailureListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind every helper form: processes one partition lazily, record by record or batch by
 * batch, through the JVM's policy. Serializable; the per-partition state lives in {@link Run}.
 *
 * <p>One call at a time runs on the task thread through the synchronous engine (the hot path
 * allocates nothing per record); more than one ({@code partition.concurrency}, see
 * {@link Concurrency}) run through the policy's asynchronous engine ({@code Caller.callAsync}) on
 * helper threads of the task, while the task thread keeps every count, decision and output:
 * records are read in order, each is counted once, the map forms emit in input order, and the task
 * ends only when every call it started has ended. A failure that is not the record's fault
 * ({@link OutageRules}) parks the record: it is called again, with fresh attempts, after a pause,
 * until {@code partition.outageMaxWait}; meanwhile other records go on (a few more parked ones at
 * most, so an outage stops the intake instead of parking the whole partition).
 */
public final class PartitionRunner<C extends AutoCloseable, T, R> implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionRunner.class);
    private static final String[] MDC_KEYS = {"appId", "jobId", "stage", "partition", "attempt"};
    /**
     * Finished records a task may hold back while an earlier one is still in flight or parked (the map
     * forms keep their outputs in input order). The foreach forms get the same room: a record waiting
     * out a retry delay (a 503's {@code Retry-After: 1}) at the head of the window must not stop the
     * task's intake while its other calls in flight finish (with twice the limit as the only room, a
     * task at 200 records/s stalled 0.86 s of every such second: 26% of R in the chaos benchmark).
     */
    static final int REORDER_LIMIT = 1024;
    /** Parked records (waiting out an outage) a task keeps at least before it stops reading new ones. */
    static final int MIN_PARKED = 4;
    private static final long KILL_CHECK_NANOS = 100_000_000L;
    private static final long CALLS_END_WAIT_NANOS = 30_000_000_000L;
    /** Stands for a null output in the output queue (an ArrayDeque holds no nulls). */
    private static final Object NULL = new Object();

    private final ResiliencePolicyConfig spec;
    private final PartitionOptions options;
    private final ResourceFactory<C> resources;
    private final boolean sharedResource;
    private final ResourceFunction<C, T, R> perRecord;
    private final BatchFunction<C, T, R> perBatch;
    private final KeyFunction<T> keyFn;
    private final ContentFunction<T> contentFn;
    private final RecordFunction<T, ?> payloadFn;
    private final Redactor redactor;
    private final PartitionMetricsAccumulator accumulator;

    /**
     * @param sharedResource true when the calls in flight may share one resource: the forms without
     *     one ({@link ResourceFactory#none()}) and a resource declared thread-safe; then one is opened
     *     per task and {@code partition.concurrency=auto} may adapt. False: one resource per call in
     *     flight, and {@code auto} is one call in flight
     */
    public PartitionRunner(ResiliencePolicyConfig spec, PartitionOptions options, ResourceFactory<C> resources,
                           boolean sharedResource, ResourceFunction<C, T, R> perRecord, BatchFunction<C, T, R> perBatch,
                           KeyFunction<T> keyFn, ContentFunction<T> contentFn, RecordFunction<T, ?> payloadFn,
                           Redactor redactor, PartitionMetricsAccumulator accumulator) {
        this.spec = spec;
        this.options = options;
        this.resources = resources;
        this.sharedResource = sharedResource;
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

    /** The rate of the policy's limiter in permits per second, 0 if it has none or its rate is not known here. */
    static double knownRate(ResiliencePolicyConfig spec) {
        return spec.rateLimiter().filter(TokenBucketFactory.class::isInstance)
            .map(f -> ((TokenBucketFactory) f).config().rate()).orElse(0.0);
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
        private final PartitionCounters counters = new PartitionCounters();
        private final ResiliencePolicy policy;
        // the task thread's call site: counts without atomics; its events go to the trace of the call it makes
        private final ResiliencePolicy.Caller caller;
        private final CallTrace fastTrace;
        private CallTrace currentTrace;
        private final int batchSize;
        private final OutageRules rules;
        private final Concurrency concurrency;
        private PartitionInfo info;
        private RecordKeys keys;
        private C resource;
        private final ArrayDeque<C> idleResources = new ArrayDeque<>();
        private final List<C> openedResources = new ArrayList<>();
        // This attempt's letters: one unpublished file, published on success, discarded otherwise.
        private HadoopDeadLetterSink deadLetters;
        private long startNanos;
        private boolean started;
        private boolean finished;
        private boolean inputDone;
        private Map<String, String> mdcAttributes;
        private MdcScope mdc;
        private Throwable listenerFailure;
        // the records in flight, parked, or finished but not yet emitted, in input order
        private final ArrayDeque<Unit<C, T, R>> window = new ArrayDeque<>();
        private final List<Unit<C, T, R>> parked = new ArrayList<>();
        private int running;
        private final LinkedBlockingQueue<Unit<C, T, R>> ended = new LinkedBlockingQueue<>();
        private ExecutorService helpers;
        private RuntimeException taskFailure;
        private boolean abandoned;
        // outputs: one slot on the synchronous hot path, the deque otherwise (NULL stands for a null output)
        private final ArrayDeque<Object> out = new ArrayDeque<>();
        private R slot;
        private boolean slotFull;
        // the synchronous hot path's one reusable action
        private T current;
        private boolean invoked;
        private final CheckedSupplier<R> recordCall = () -> {
            invoked = true;
            return perRecord.apply(resource, current);
        };

        Run(Iterator<T> input, boolean keepOutputs) {
            this.input = input;
            this.keepOutputs = keepOutputs;
            // the JVM's one policy of this name, bound to the cluster when the plugin runs
            this.policy = ResilienceCluster.policy(spec);
            this.fastTrace = new CallTrace(policy.metrics());
            this.currentTrace = fastTrace;
            this.caller = policy.caller(e -> currentTrace.onEvent(e));
            this.batchSize = perBatch == null ? 1 : options.batchSize();
            this.rules = new OutageRules(policy, options.outageMaxWait());
            this.concurrency = Concurrency.of(options.concurrency(), sharedResource && perBatch == null ? knownRate(spec) : 0);
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
            mdcAttributes = attributes;
            mdc = MdcScope.push(attributes);   // restores what the task thread had, in finish()
            TaskContext tc = TaskContext.get();
            if (tc != null) {
                // Kills and downstream failures never reach our iterator: the listeners still end the
                // calls in flight, close the resource and write the line. Failure listeners run first.
                TaskFailureListener onFailure = (ctx, error) -> listenerFailure = error;
                TaskCompletionListener onCompletion = ctx -> {
                    if (!finished) {
                        abandonCalls();
                        finish(ctx.isInterrupted() ? "killed" : listenerFailure != null ? "failed" : "ok", listenerFailure);
                    }
                };
                tc.addTaskFailureListener(onFailure);
                tc.addTaskCompletionListener(onCompletion);
            }
            try {
                resource = resources.open(info);
            } catch (Exception e) {
                RuntimeException failure = cannotOpen(e);
                finish("failed", failure);
                throw failure;
            }
            openedResources.add(resource);
            idleResources.push(resource);
        }

        private RuntimeException cannotOpen(Exception e) {
            return new IllegalStateException("cannot open the resource of partition " + info.partition() + " (stage "
                + info.stageId() + ", attempt " + info.attempt() + "): " + e, e);
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
            return run();
        }

        /** foreach: process everything, keep nothing. */
        void drain() {
            start();
            run();
        }

        /** Advances until an output is ready (true) or the partition has ended (false), finishing it then. */
        private boolean run() {
            try {
                if (advance()) {
                    return true;
                }
                finish("ok", null);
                return false;
            } catch (InterruptedException ie) {
                abandonCalls();
                Thread.currentThread().interrupt();
                PartitionFailedException killed = new PartitionFailedException(info, oldestOffset(), null, ie);
                finish("killed", killed);
                throw killed;
            } catch (RuntimeException | Error e) {
                if (!finished) {
                    abandonCalls();
                    finish(Thread.currentThread().isInterrupted() ? "killed" : "failed", e);
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
            Object r = out.poll();
            return r == NULL ? null : cast(r);
        }

        @SuppressWarnings("unchecked")
        private R cast(Object r) {
            return (R) r;
        }

        // ------------------------------------------------------------------------------ the loop

        /** Runs calls until an output is ready (map forms) or every record has ended (false). */
        private boolean advance() throws InterruptedException {
            for (;;) {
                if (emit()) {
                    return true;
                }
                if (taskFailure != null) {
                    if (running == 0) {
                        giveUpParked();
                        throw taskFailure;
                    }
                    awaitProgress(Long.MAX_VALUE);
                    continue;
                }
                long now = System.nanoTime();
                Unit<C, T, R> due = dueParked(now);
                if (due != null && running < concurrency.limit()) {
                    resume(due);
                    continue;
                }
                if (!inputDone && canRead()) {
                    if (input.hasNext()) {
                        read();
                        continue;
                    }
                    inputDone = true;
                }
                if (inputDone && window.isEmpty()) {
                    return false;
                }
                awaitProgress(earliestResume());
            }
        }

        private boolean canRead() {
            int limit = concurrency.limit();
            return running < limit && parked.size() < Math.max(MIN_PARKED, limit)
                && window.size() < limit + Math.max(MIN_PARKED, limit) + REORDER_LIMIT;
        }

        /** Moves finished records at the head of the window to the outputs; true if an output is ready. */
        private boolean emit() {
            while (!window.isEmpty() && window.peekFirst().finished()) {
                Unit<C, T, R> u = window.pollFirst();
                if (keepOutputs && u.succeeded) {
                    if (u.batch == null) {
                        out.add(u.value == null ? NULL : u.value);   // a null output is an output: never dropped
                    } else if (u.values != null) {
                        for (R r : u.values) {
                            out.add(r == null ? NULL : r);
                        }
                    }
                }
            }
            return slotFull || !out.isEmpty();
        }

        /** Reads the next record (or batch) and starts its call. */
        private void read() {
            if (perBatch != null) {
                readBatch();
                return;
            }
            T record = input.next();
            long offset = counters.rowsIn++;
            CallContext ctx;
            try {
                ctx = recordContext(record);
            } catch (Exception e) {
                failedBeforeCall(add(new Unit<>(offset, record, null, null, CallContext.NONE, trace())), e);
                return;
            }
            if (!concurrency.async() && window.isEmpty() && rules.breakerPause() == 0) {
                callNow(record, offset, ctx);
                return;
            }
            resume(add(new Unit<>(offset, record, null, ctx.idempotencyKey(), ctx, trace())));
        }

        /** The record's key and fingerprint (none when keys are off), and in async mode the MDC for helper threads. */
        private CallContext recordContext(T record) throws Exception {
            if (keys == null) {
                return concurrency.async() ? context(null, null) : CallContext.NONE;
            }
            CallContext keyed = keys.record(record, keyFn, contentFn);
            return concurrency.async() ? context(keyed.idempotencyKey(), keyed.fingerprint()) : keyed;
        }

        private CallContext context(String key, String fingerprint) {
            CallContext.Builder b = CallContext.builder().idempotencyKey(key).fingerprint(fingerprint);
            if (concurrency.async()) {
                // the task thread's MDC does not follow the call to helper threads: the engine puts these there
                mdcAttributes.forEach(b::attribute);
            }
            return b.build();
        }

        private CallTrace trace() {
            return new CallTrace(policy.metrics());
        }

        /** A record (or batch) enters the window, in input order. */
        private Unit<C, T, R> add(Unit<C, T, R> u) {
            window.addLast(u);
            return u;
        }

        private void readBatch() {
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
                    CallContext keyed = keys.batch(batch, firstOffset, keyFn, contentFn);
                    key = keyed.idempotencyKey();
                    ctx = concurrency.async() ? context(key, keyed.fingerprint()) : keyed;
                } else if (concurrency.async()) {
                    ctx = context(null, null);
                }
            } catch (Exception e) {
                failedBeforeCall(add(new Unit<>(firstOffset, null, batch, null, CallContext.NONE, trace())), e);
                return;
            }
            resume(add(new Unit<>(firstOffset, null, batch, key, ctx, trace())));
        }

        /**
         * The synchronous hot path: nothing in flight or parked, so the record is called right here
         * and, when it succeeds, never becomes a {@link Unit}.
         */
        private void callNow(T record, long offset, CallContext ctx) {
            String key = ctx.idempotencyKey();
            if (key != null) {
                PartitionCounters.currentKey(key);
            }
            current = record;
            invoked = false;
            R result;
            try {
                result = caller.call(ctx, recordCall);   // one reusable supplier: no allocation
            } catch (Exception e) {
                current = null;
                Unit<C, T, R> u = new Unit<>(offset, record, null, key, ctx, trace());
                u.trace.adoptHistory(fastTrace);
                fastTrace.clearHistory();
                fastTrace.drainInto(counters);
                u.state = Unit.State.RUNNING;
                running++;
                ended(add(u), null, e);
                return;
            }
            current = null;
            fastTrace.drainInto(counters);
            if (fastTrace.firstFailureMillis != CallTrace.UNSET) {
                fastTrace.clearHistory();   // it failed, then a retry succeeded
            }
            if (!invoked) {
                counters.duplicatesSkipped++;   // the guard answered from its store: the call was not made
            }
            counters.succeeded++;
            if (keepOutputs) {
                slot = result;
                slotFull = true;
            }
        }

        /** Starts a record's next call, unless the breaker refuses calls right now (it stays parked then). */
        private void resume(Unit<C, T, R> u) {
            if (u.state == Unit.State.PARKED) {
                parked.remove(u);
            }
            if (rules.breakerPause() > 0) {
                // refused before anything is taken: no claim, no permit (the engine would claim the key first)
                counters.breakerRejections++;
                u.trace.failedAt(System.currentTimeMillis());
                CircuitOpenException refused = new CircuitOpenException(policy.name(), policy.circuitBreaker().orElseThrow().name(),
                    0, policy.circuitBreaker().orElseThrow().remainingOpenTime(), null);
                decide(u, refused);
                return;
            }
            if (concurrency.async()) {
                submit(u);
            } else {
                callHere(u);
            }
        }

        /** One call of a unit on the task thread (one call in flight). */
        private void callHere(Unit<C, T, R> u) {
            u.state = Unit.State.RUNNING;
            running++;
            currentTrace = u.trace;
            u.invoked = false;
            PartitionCounters.currentKey(u.key);
            Object value;
            try {
                C res = resource;
                value = caller.call(u.context, () -> {
                    u.invoked = true;
                    return u.batch == null ? perRecord.apply(res, u.record) : perBatch.apply(res, u.batch);
                });
            } catch (Exception e) {
                currentTrace = fastTrace;
                ended(u, null, e);
                return;
            }
            currentTrace = fastTrace;
            ended(u, value, null);
        }

        /** One call of a unit through the asynchronous engine, on the task's helper threads. */
        private void submit(Unit<C, T, R> u) {
            C res;
            try {
                res = takeResource();
            } catch (Exception e) {
                throw cannotOpen(e);
            }
            u.resource = res;
            u.state = Unit.State.RUNNING;
            running++;
            u.startedAtNanos = System.nanoTime();
            u.invoked = false;
            ResiliencePolicy.Caller site = policy.caller(u.trace::onEvent);
            CompletableFuture<Object> f = site.callAsync(u.context, () -> {
                u.runningOn = Thread.currentThread();
                PartitionCounters.currentKey(u.key);
                try {
                    u.invoked = true;
                    return u.batch == null ? perRecord.apply(res, u.record) : perBatch.apply(res, u.batch);
                } finally {
                    PartitionCounters.currentKey(null);
                    u.runningOn = null;
                }
            }, helpers());
            u.future = f;
            f.whenComplete((v, t) -> {
                u.outcome = t == null ? v : t;
                u.outcomeFailed = t != null;
                ended.add(u);
            });
        }

        private C takeResource() throws Exception {
            if (sharedResource) {
                return resource;   // thread-safe (or none): every call in flight uses the task's one
            }
            C r = idleResources.poll();
            if (r != null) {
                return r;
            }
            // a resource is never used by two calls at once: one more for this slot, closed at the end
            C opened = resources.open(info);
            openedResources.add(opened);
            return opened;
        }

        private ExecutorService helpers() {
            if (helpers == null) {
                AtomicInteger n = new AtomicInteger();
                String prefix = "resiliencekit-task-" + info.taskAttemptId() + "-call-";
                // threads on demand, at most about two per call in flight (its action and its next step)
                helpers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
            }
            return helpers;
        }

        /** Waits until a call ends (calls in flight) or {@code untilNanos}; checks for a kill meanwhile. */
        private void awaitProgress(long untilNanos) throws InterruptedException {
            long wait = untilNanos == Long.MAX_VALUE ? KILL_CHECK_NANOS
                : Math.max(0, Math.min(KILL_CHECK_NANOS, untilNanos - System.nanoTime()));
            if (running > 0 && concurrency.async()) {
                Unit<C, T, R> u = ended.poll(wait, TimeUnit.NANOSECONDS);
                while (u != null) {
                    onEnded(u);
                    u = ended.poll();
                }
            } else if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            TaskContext tc = TaskContext.get();
            if (tc != null && tc.isInterrupted()) {
                throw new InterruptedException("task killed");   // a kill without a thread interrupt
            }
        }

        private void onEnded(Unit<C, T, R> u) {
            if (u.resource != null) {
                if (!sharedResource) {
                    idleResources.push(u.resource);
                }
                u.resource = null;
            }
            if (u.outcomeFailed) {
                ended(u, null, OutageRules.unwrap((Throwable) u.outcome));
            } else {
                ended(u, u.outcome, null);
            }
        }

        /** A unit's call ended with {@code value} or {@code failure}: count it, then finish or park the unit. */
        @SuppressWarnings("unchecked")
        private void ended(Unit<C, T, R> u, Object value, Throwable failure) {
            running--;
            u.calls++;
            int attemptsMade = failure == null ? (u.invoked ? 1 + u.trace.retried : 0)
                : failure instanceof ResilienceException ? ((ResilienceException) failure).attempts() : 1;
            if (u.startedAtNanos != 0) {
                concurrency.onCallEnded(System.nanoTime() - u.startedAtNanos, u.trace.throttleWaitNanos,
                    u.trace.retryDelayNanos, attemptsMade);
                u.startedAtNanos = 0;
            }
            boolean failureHeard = u.trace.failureHeard;
            u.trace.drainInto(counters);
            if (u.calls > 1 && attemptsMade > 0) {
                counters.retried++;   // a call made again for the record: its first attempt is a retry of the record
            }
            if (failure == null) {
                if (!u.invoked) {
                    counters.duplicatesSkipped += u.size();
                }
                if (u.batch == null) {
                    u.value = (R) value;
                } else {
                    u.values = (List<R>) value;
                }
                finishSucceeded(u);
                return;
            }
            u.attempts += attemptsMade;
            u.failedCalls++;
            u.trace.callFailed();
            if (!failureHeard) {
                u.trace.failedAt(System.currentTimeMillis());   // no event said when (not the policy's failure)
            }
            u.trace.failureHeard = false;
            if (failure instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                finishFailed(u, "interrupted", failure);
                return;
            }
            caller.flush();   // the evidence the rules read is the JVM's counters
            decide(u, failure);
        }

        /** The record's failure is its own (finished as failed) or not (parked, to be called again). */
        private void decide(Unit<C, T, R> u, Throwable failure) {
            OutageRules.Verdict v = rules.judge(u, failure, System.nanoTime());
            if (v.again) {
                u.state = Unit.State.PARKED;
                u.lastPauseNanos = v.pauseNanos;
                u.resumeAtNanos = System.nanoTime() + v.pauseNanos;
                parked.add(u);
                return;
            }
            finishFailed(u, v.why, failure);
        }

        private void finishSucceeded(Unit<C, T, R> u) {
            u.state = Unit.State.DONE;
            u.succeeded = true;
            counters.succeeded += u.size();
        }

        /** A record (or batch) that failed before its call could be made (its key could not be made). */
        private void failedBeforeCall(Unit<C, T, R> u, Exception e) {
            u.trace.failedAt(System.currentTimeMillis());
            u.attempts = 0;
            finishFailed(u, "its idempotency key could not be made", e);
        }

        private void finishFailed(Unit<C, T, R> u, String why, Throwable failure) {
            u.state = Unit.State.DONE;
            u.why = why;
            u.failure = failure;
            counters.failed += u.size();
            if (failure instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
                Thread.currentThread().interrupt();
                recordTaskFailure(new PartitionFailedException(info, u.firstOffset, u.key, failure));
                return;
            }
            if (!options.continueOnError()) {
                recordTaskFailure(new PartitionFailedException(info, u.firstOffset, u.key, failure));
                return;
            }
            if (deadLetters == null) {
                // one writer per task attempt (unique file names, so twins never clobber each other), on
                // the Hadoop file system the path names; no file is published before the attempt succeeds
                deadLetters = new HadoopDeadLetterSink(options.deadLetterPath(), "part",
                    String.format("%05d-s%d-t%d", info.partition(), info.stageId(), info.taskAttemptId()), redactor);
            }
            if (u.batch == null) {
                deadLetters.write(deadLetter(u.record, u.firstOffset, u, failure, why));
                counters.deadLettered++;
            } else {
                for (int i = 0; i < u.batch.size(); i++) {
                    deadLetters.write(deadLetter(u.batch.get(i), u.firstOffset + i, u, failure, why));
                    counters.deadLettered++;
                }
            }
        }

        private void recordTaskFailure(RuntimeException f) {
            // the first record the policy gave up on fails the task, once the calls in flight have ended
            if (taskFailure == null) {
                taskFailure = f;
            }
        }

        private Unit<C, T, R> dueParked(long now) {
            Unit<C, T, R> due = null;
            for (Unit<C, T, R> u : parked) {
                if (u.resumeAtNanos <= now && (due == null || u.firstOffset < due.firstOffset)) {
                    due = u;
                }
            }
            return due;
        }

        private long earliestResume() {
            long t = Long.MAX_VALUE;
            for (Unit<C, T, R> u : parked) {
                t = Math.min(t, u.resumeAtNanos);
            }
            return t;
        }

        private long oldestOffset() {
            Unit<C, T, R> u = window.peekFirst();
            return u == null ? counters.rowsIn : u.firstOffset;
        }

        /** The task fails: parked records will not be called again here (the retry of the task calls them). */
        private void giveUpParked() {
            for (Unit<C, T, R> u : parked) {
                u.state = Unit.State.DONE;
                counters.failed += u.size();
            }
            parked.clear();
        }

        /**
         * The task is killed or failed with calls in flight: cancel them, interrupt their actions and
         * wait for those to return, so the task ends only when its calls have ended; every record not
         * finished counts as failed (the retry of the task processes it again).
         */
        private void abandonCalls() {
            giveUpParked();
            if (running == 0) {
                return;
            }
            abandoned = true;
            List<Unit<C, T, R>> inFlight = new ArrayList<>();
            for (Unit<C, T, R> u : window) {
                if (u.state == Unit.State.RUNNING) {
                    inFlight.add(u);
                    if (u.future != null) {
                        u.future.cancel(true);   // the engine stops at its next step and releases the key
                    }
                    Thread t = u.runningOn;
                    if (t != null) {
                        t.interrupt();
                    }
                }
            }
            long deadline = System.nanoTime() + CALLS_END_WAIT_NANOS;
            boolean interrupted = Thread.interrupted();
            for (Unit<C, T, R> u : inFlight) {
                while (u.runningOn != null && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException ie) {
                        interrupted = true;
                    }
                }
                if (u.runningOn != null) {
                    LOG.warn("partition {}: a call still runs {} s after the task ended; its thread is left to finish",
                        info.partition(), CALLS_END_WAIT_NANOS / 1_000_000_000L);
                }
                u.state = Unit.State.DONE;
                counters.failed += u.size();
            }
            running = 0;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private DeadLetter deadLetter(T record, long offset, Unit<C, T, R> u, Throwable e, String why) {
            Object payload = null;
            if (payloadFn != null) {
                try {
                    payload = payloadFn.apply(record);
                } catch (Exception pe) {
                    payload = "<payload function failed: " + pe.getClass().getName() + ">";
                }
            }
            long now = System.currentTimeMillis();
            long first = u.trace.firstFailureMillis == CallTrace.UNSET ? now : u.trace.firstFailureMillis;
            long last = Math.max(first, u.trace.lastFailureMillis == CallTrace.UNSET ? now : u.trace.lastFailureMillis);
            DeadLetter.Builder b = DeadLetter.builder().key(u.key).payload(payload)
                .source(SourcePosition.builder().run(info.runId()).stage(info.stageId()).partition(info.partition())
                    .attempt(info.attempt()).offset(offset).build());
            // the policy classified call failures (CallFailedException); a breaker that stayed open past
            // outageMaxWait or a limiter timeout is not the record's fault: replay it later
            if (e instanceof CircuitOpenException) {
                b.classification(FailureKind.TRANSIENT);
            } else if (e instanceof RateLimitedException) {
                b.classification(FailureKind.THROTTLED);
            }
            b.failure(e, FailureClassifier.defaults(), now);
            // the letter says why the record counts as failed, then what the last failure said
            Throwable error = e instanceof ResilienceException && e.getCause() != null ? e.getCause() : e;
            b.message(why + (error.getMessage() == null ? "" : ": " + error.getMessage()))
                .attempts(Math.max(1, u.attempts)).firstFailure(first).lastFailure(last);
            try {
                return b.build();
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
            PartitionCounters.currentKey(null);
            if (helpers != null && !abandoned) {
                // every call ended; after a kill, cancelled calls may still wake up to release their keys,
                // so the helper threads are left to time out instead
                helpers.shutdown();
            }
            Throwable problem = error;
            for (C r : openedResources) {
                try {
                    r.close();
                } catch (Exception e) {
                    LOG.warn("closing the resource of partition {} failed", info.partition(), e);
                }
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
