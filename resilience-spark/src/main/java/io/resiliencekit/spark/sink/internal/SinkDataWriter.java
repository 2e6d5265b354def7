package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.spark.partition.PartitionInfo;
import io.resiliencekit.spark.partition.PartitionMetrics;
import io.resiliencekit.spark.partition.PartitionMetricsAccumulator;
import io.resiliencekit.spark.partition.Partitions;
import io.resiliencekit.spark.partition.ResourceFactory;
import io.resiliencekit.spark.sink.RecordSink;
import io.resiliencekit.spark.sink.SinkRecord;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.metric.CustomTaskMetric;
import org.apache.spark.sql.connector.write.DataWriter;
import org.apache.spark.sql.connector.write.DataWriterFactory;
import org.apache.spark.sql.connector.write.WriterCommitMessage;

/**
 * One task's writer. Spark pushes rows into {@link #write}; the partition helpers pull records,
 * so the rows are encoded and kept until {@link #commit}, which runs them through the public
 * partition helper (policy, keys, calls in flight, dead letters, metrics line) in one go. The
 * task fails, and Spark retries it, if a record fails and {@code partition.continueOnError} is off.
 */
final class SinkDataWriter implements DataWriter<InternalRow> {

    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9._\\-:/@+=~]{1,128}");

    private final SinkSettings settings;
    private final int partitionId;
    private final IdempotencyKeys keys;
    private final MessageDigest sha256;
    private final List<SinkRecord> records = new ArrayList<>();
    private final Map<String, Integer> occurrences = new HashMap<>();
    private PartitionMetrics metrics;
    private long keysFoundInLedger;

    SinkDataWriter(SinkSettings settings, int partitionId) {
        this.settings = settings;
        this.partitionId = partitionId;
        this.keys = IdempotencyKeys.namespace(settings.partition().keyNamespace());
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void write(InternalRow row) {
        RowCodec codec = settings.codec();
        Object[] values = codec.values(row);
        String json = codec.json(values);
        String local;
        if (codec.keyColumn() >= 0) {
            Object k = values[codec.keyColumn()];
            if (k == null) {
                throw new IllegalArgumentException("keyColumn " + codec.schema().fields()[codec.keyColumn()].name()
                    + " is null in row " + records.size() + " of partition " + partitionId);
            }
            String s = k.toString();
            local = PLAIN_KEY.matcher(s).matches() ? s : "h:" + digest(s);
        } else {
            // same content, same partition: the n-th copy keeps its own key, so duplicates in the input are written
            String d = digest(json);
            int n = occurrences.merge(d, 1, Integer::sum);
            local = "p" + partitionId + ":" + d + (n == 1 ? "" : ":" + n);
        }
        records.add(new SinkRecord(keys.forBusinessKey(settings.partition().runId(), local), local, values, json));
    }

    private String digest(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256.digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public WriterCommitMessage commit() throws java.io.IOException {
        PartitionMetricsAccumulator lines = new PartitionMetricsAccumulator();   // this task's line, read back below
        Opened opened = new Opened(RecordSinks.create(settings));
        try {
            task(lines, opened).call(records.iterator());
        } catch (RuntimeException | java.io.IOException e) {
            throw e;
        } catch (Exception e) {
            throw new java.io.IOException(e);
        } finally {
            List<PartitionMetrics> l = lines.value();
            metrics = l.isEmpty() ? null : l.get(l.size() - 1);
            keysFoundInLedger = opened.keysFoundInLedger();
            records.clear();
        }
        return new SinkCommitMessage(partitionId, metrics, keysFoundInLedger);
    }

    /**
     * The public partition helper over this task's records: the one call loop of the library, with
     * its calls in flight. A thread-safe sink is the task's one resource, shared by those calls, so
     * {@code partition.concurrency=auto} adapts to the rate limit; any other sink is opened once per
     * call in flight ({@code auto} is then one call in flight, as the helpers do for any resource).
     */
    private ForeachPartitionFunction<SinkRecord> task(PartitionMetricsAccumulator lines, Opened opened) {
        SinkSettings s = settings;
        ResourceFactory<RecordSink> open = info -> opened.open(s, info);
        Partitions<SinkRecord> helper = Partitions.<SinkRecord>using(s.policy(), s.partition())
            .keyBy(SinkRecord::localKey)
            .contentBy(r -> r.json().getBytes(StandardCharsets.UTF_8))   // the fingerprint a reused key is checked against
            .payloadBy(SinkRecord::json)
            .metrics(lines);
        if (opened.threadSafe()) {
            helper.threadSafeResource();
        }
        if (s.partition().batchSize() > 1) {
            return helper.foreachBatch(open, (sink, batch) -> {
                sink.write(batch);
                return List.of();
            });
        }
        return helper.foreach(open, (sink, record) -> {
            sink.write(List.of(record));
            return null;
        });
    }

    /**
     * The task's sinks, for their counters: the first is made before the helper starts (it says
     * whether it is thread-safe) and opened as the first resource; the helper closes every one it
     * opened. Opened on the task thread only; never serialized with a sink in it.
     */
    static final class Opened implements Serializable {
        private static final long serialVersionUID = 1L;
        private transient RecordSink first;
        private final transient boolean threadSafe;
        private final transient List<RecordSink> sinks = new ArrayList<>();

        Opened(RecordSink first) {
            this.first = first;
            this.threadSafe = first.threadSafe();
        }

        boolean threadSafe() {
            return threadSafe;
        }

        RecordSink open(SinkSettings settings, PartitionInfo partition) throws Exception {
            RecordSink sink = first != null ? first : RecordSinks.create(settings);
            first = null;
            RecordSinks.open(sink, settings, partition);
            sinks.add(sink);
            return sink;
        }

        /** Rows the JDBC sinks of this task found written already (their keys in the ledger). */
        long keysFoundInLedger() {
            long n = 0;
            for (RecordSink sink : sinks) {
                if (sink instanceof JdbcRecordSink j) {
                    n += j.keysFoundInLedger();
                }
            }
            return n;
        }
    }

    @Override
    public void abort() {
        // rows already sent carry their keys: the retry of this task skips them
        records.clear();
    }

    @Override
    public CustomTaskMetric[] currentMetricsValues() {
        CustomTaskMetric[] m = SinkMetrics.of(metrics);
        if (keysFoundInLedger > 0) {
            for (int i = 0; i < m.length; i++) {
                if (m[i].name().equals(SinkMetrics.DUPLICATES)) {
                    m[i] = SinkMetrics.task(SinkMetrics.DUPLICATES, m[i].value() + keysFoundInLedger);
                } else if (m[i].name().equals(SinkMetrics.WRITTEN)) {
                    m[i] = SinkMetrics.task(SinkMetrics.WRITTEN, m[i].value() - keysFoundInLedger);
                }
            }
        }
        return m;
    }

    @Override
    public void close() {
        records.clear();
    }

    /** Creates one writer per task, on the executor. */
    static final class Factory implements DataWriterFactory {
        private static final long serialVersionUID = 1L;
        private final SinkSettings settings;

        Factory(SinkSettings settings) {
            this.settings = settings;
        }

        @Override
        public DataWriter<InternalRow> createWriter(int partitionId, long taskId) {
            return new SinkDataWriter(settings, partitionId);
        }
    }
}
