package io.resiliencekit.spark.partition;

import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.deadletter.Redactor;
import io.resiliencekit.spark.partition.internal.PartitionRunner;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.api.java.function.VoidFunction;

/**
 * Partition helpers: run a policy around every record (or batch) of a partition, with a resource
 * opened once and always closed, idempotency keys from the partition's records, opt-in dead
 * letters, MDC and one metrics line per partition.
 *
 * <pre>{@code
 * ResiliencePolicyConfig policy = ResiliencePolicy.builder("orders")
 *     .retry(RetryConfig.builder().maxAttempts(5).build()).config();   // serializable; one runtime per JVM
 * PartitionOptions opts = PartitionOptions.builder().runId("2024-06-01").continueOnError(true)
 *     .deadLetterPath("/data/dlq/orders").build();
 * PartitionMetricsAccumulator acc = PartitionMetricsAccumulator.register(spark.sparkContext(), "orders");
 *
 * // Dataset, per record, with a client per partition:
 * orders.foreachPartition(Partitions.<Order>using(policy, opts).keyBy(Order::getId).metrics(acc)
 *     .foreach(info -> new HttpJsonClient(uri), (client, o) -> client.post("/orders", o.toJson())));
 *
 * // Dataset map, no resource:
 * Dataset<String> ids = orders.mapPartitions(Partitions.map(policy, opts, (Order o) -> api.send(o)), Encoders.STRING());
 *
 * // Java RDD:
 * rdd.foreachPartition(Partitions.<Order>using(policy, opts).foreachRdd((Order o) -> api.send(o)));
 * }</pre>
 *
 * <p>Every factory method validates the options, the policy spec and that the functions are
 * serializable on the driver, and throws one {@link ConfigException} listing every problem.
 */
public final class Partitions<T> {

    private final ResiliencePolicyConfig policy;
    private final PartitionOptions options;
    private KeyFunction<T> keyFn;
    private ContentFunction<T> contentFn;
    private RecordFunction<T, ?> payloadFn;
    private Redactor redactor;
    private PartitionMetricsAccumulator accumulator;
    private boolean threadSafeResource;

    private Partitions(ResiliencePolicyConfig policy, PartitionOptions options) {
        this.policy = policy;
        this.options = options;
    }

    /** Starts a helper for records of type {@code T}. */
    public static <T> Partitions<T> using(ResiliencePolicyConfig policy, PartitionOptions options) {
        return new Partitions<>(policy, options);
    }

    /** {@code mapPartitions} per record through {@code policy}. */
    public static <T, R> MapPartitionsFunction<T, R> map(ResiliencePolicyConfig policy, PartitionOptions options, RecordFunction<T, R> fn) {
        return Partitions.<T>using(policy, options).map(fn);
    }

    /** {@code foreachPartition} per record through {@code policy}. */
    public static <T> ForeachPartitionFunction<T> foreach(ResiliencePolicyConfig policy, PartitionOptions options, RecordFunction<T, ?> fn) {
        return Partitions.<T>using(policy, options).foreach(fn);
    }

    /**
     * The idempotency key of the record (or batch) the calling thread's function runs for, to send
     * along (e.g. as the {@code Idempotency-Key} header); null outside a helper or when keys are off.
     * With calls in flight ({@code partition.concurrency}) the function runs on helper threads of the
     * task, and this still answers there.
     *
     * <pre>{@code
     * Partitions.<Order>using(policy, opts).foreach(o -> api.post("/orders", o.json(), Partitions.currentIdempotencyKey()));
     * }</pre>
     */
    public static String currentIdempotencyKey() {
        return io.resiliencekit.spark.partition.internal.PartitionCounters.currentKey();
    }

    /** Business key of a record; the idempotency key becomes {@code namespace:runId:key}. */
    public Partitions<T> keyBy(KeyFunction<T> fn) {
        this.keyFn = fn;
        return this;
    }

    /** Canonical bytes of a record, for fingerprints and content-derived keys. */
    public Partitions<T> contentBy(ContentFunction<T> fn) {
        this.contentFn = fn;
        return this;
    }

    /**
     * What a dead letter stores as payload for replay: a string or a JSON-like tree (maps, lists,
     * strings, numbers, booleans); without it dead letters hold no payload. The payload, message
     * and stack trace go through the {@link #redactor redactor} before they are stored.
     */
    public Partitions<T> payloadBy(RecordFunction<T, ?> fn) {
        this.payloadFn = fn;
        return this;
    }

    /**
     * Masks secrets in dead letters before they are stored (default {@link Redactor#defaults()}:
     * secret-named payload fields, {@code password=...}-style pairs and bearer tokens).
     *
     * <pre>{@code
     * Partitions.<Order>using(policy, opts).payloadBy(Order::toMap)
     *     .redactor(Redactor.builder().maskFields("cardNumber").build())
     * }</pre>
     */
    public Partitions<T> redactor(Redactor redactor) {
        this.redactor = redactor;
        return this;
    }

    /**
     * Declares the resource safe to use from several threads at once (the JDK {@code HttpClient},
     * {@code HttpJsonClient}, a connection pool): the task opens one and shares it between its calls
     * in flight, and {@code partition.concurrency=auto} keeps the rate limit busy as in the forms
     * without a resource. Without it a resource serves one call at a time: {@code auto} means one
     * call in flight, and a number N opens one resource per call in flight. The batch forms keep
     * {@code auto} at one call in flight either way (a batch is big already).
     *
     * <pre>{@code
     * // OrdersApi: an AutoCloseable over HttpJsonClient, which is thread-safe
     * orders.foreachPartition(Partitions.<Order>using(policy, opts).threadSafeResource()
     *     .foreach(info -> new OrdersApi(apiConfig), (api, o) -> api.post(o.json(), Partitions.currentIdempotencyKey())));
     * }</pre>
     */
    public Partitions<T> threadSafeResource() {
        this.threadSafeResource = true;
        return this;
    }

    /** Sends each partition's metrics line to the driver. */
    public Partitions<T> metrics(PartitionMetricsAccumulator acc) {
        this.accumulator = acc;
        return this;
    }

    // ---- Dataset forms ----

    public <R> MapPartitionsFunction<T, R> map(RecordFunction<T, R> fn) {
        PartitionRunner<AutoCloseable, T, R> r = resourceFreeRunner((c, t) -> fn.apply(t), fn);
        return r::process;
    }

    public <C extends AutoCloseable, R> MapPartitionsFunction<T, R> map(ResourceFactory<C> resource, ResourceFunction<C, T, R> fn) {
        PartitionRunner<C, T, R> r = runner(resource, fn, null, fn);
        return r::process;
    }

    /** Batches of {@code partition.batchSize} records, one policy call (and one key) per batch. */
    public <C extends AutoCloseable, R> MapPartitionsFunction<T, R> mapBatches(ResourceFactory<C> resource, BatchFunction<C, T, R> fn) {
        PartitionRunner<C, T, R> r = runner(resource, null, fn, fn);
        return r::process;
    }

    public ForeachPartitionFunction<T> foreach(RecordFunction<T, ?> fn) {
        PartitionRunner<AutoCloseable, T, Object> r = resourceFreeRunner((c, t) -> fn.apply(t), fn);
        return r::consume;
    }

    public <C extends AutoCloseable> ForeachPartitionFunction<T> foreach(ResourceFactory<C> resource, ResourceFunction<C, T, ?> fn) {
        PartitionRunner<C, T, Object> r = runner(resource, fn::apply, null, fn);
        return r::consume;
    }

    public <C extends AutoCloseable> ForeachPartitionFunction<T> foreachBatch(ResourceFactory<C> resource, BatchFunction<C, T, ?> fn) {
        PartitionRunner<C, T, Object> r = runner(resource, null, (c, b) -> {
            fn.apply(c, b);
            return List.of();
        }, fn);
        return r::consume;
    }

    // ---- Java RDD forms ----

    public <R> FlatMapFunction<Iterator<T>, R> mapRdd(RecordFunction<T, R> fn) {
        PartitionRunner<AutoCloseable, T, R> r = resourceFreeRunner((c, t) -> fn.apply(t), fn);
        return r::process;
    }

    public <C extends AutoCloseable, R> FlatMapFunction<Iterator<T>, R> mapRdd(ResourceFactory<C> resource, ResourceFunction<C, T, R> fn) {
        PartitionRunner<C, T, R> r = runner(resource, fn, null, fn);
        return r::process;
    }

    public VoidFunction<Iterator<T>> foreachRdd(RecordFunction<T, ?> fn) {
        PartitionRunner<AutoCloseable, T, Object> r = resourceFreeRunner((c, t) -> fn.apply(t), fn);
        return r::consume;
    }

    public <C extends AutoCloseable> VoidFunction<Iterator<T>> foreachRdd(ResourceFactory<C> resource, ResourceFunction<C, T, ?> fn) {
        PartitionRunner<C, T, Object> r = runner(resource, fn::apply, null, fn);
        return r::consume;
    }

    private <C extends AutoCloseable, R> PartitionRunner<C, T, R> runner(ResourceFactory<C> resource, ResourceFunction<C, T, R> perRecord,
                                                                         BatchFunction<C, T, R> perBatch, Object userFn) {
        return runner(resource, threadSafeResource, perRecord, perBatch, userFn);
    }

    /** A form without a resource: its calls share nothing, so several may be in flight (partition.concurrency=auto). */
    private <R> PartitionRunner<AutoCloseable, T, R> resourceFreeRunner(ResourceFunction<AutoCloseable, T, R> perRecord,
                                                                        Object userFn) {
        return runner(ResourceFactory.none(), true, perRecord, null, userFn);
    }

    private <C extends AutoCloseable, R> PartitionRunner<C, T, R> runner(ResourceFactory<C> resource, boolean sharedResource,
                                                                         ResourceFunction<C, T, R> perRecord,
                                                                         BatchFunction<C, T, R> perBatch, Object userFn) {
        List<String> problems = new ArrayList<>();
        if (policy == null) {
            problems.add("policy: is required");
        }
        if (options == null) {
            problems.add("options: are required");
        } else {
            problems.addAll(options.problems());
        }
        if (userFn == null) {
            problems.add("function: is required");
        }
        if (resource == null) {
            problems.add("resource: is required (use ResourceFactory.none())");
        }
        checkSerializable("policy", policy, problems);
        checkSerializable("function", userFn, problems);
        checkSerializable("resource", resource, problems);
        checkSerializable("keyBy", keyFn, problems);
        checkSerializable("contentBy", contentFn, problems);
        checkSerializable("payloadBy", payloadFn, problems);
        checkSerializable("redactor", redactor, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new PartitionRunner<>(policy, options, resource, sharedResource, perRecord, perBatch, keyFn, contentFn, payloadFn,
            redactor, accumulator);
    }

    // Spark would find out at the first task, after the job started; we want it before.
    private static void checkSerializable(String what, Object o, List<String> problems) {
        if (o == null) {
            return;
        }
        try (ObjectOutputStream out = new ObjectOutputStream(OutputStream.nullOutputStream())) {
            out.writeObject(o);
        } catch (IOException e) {
            problems.add(what + ": is not serializable (" + e + "); capture only serializable values in the lambda");
        }
    }
}
