package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.spark.partition.PartitionInfo;
import io.resiliencekit.spark.sink.RecordSink;
import io.resiliencekit.spark.sink.SinkContext;
import io.resiliencekit.spark.sink.SinkOptions;

/** Creates and opens the sink the {@code sink} option names. */
final class RecordSinks {

    private RecordSinks() {
    }

    static RecordSink open(SinkSettings settings, PartitionInfo partition) throws Exception {
        return open(create(settings), settings, partition);
    }

    /** Opens {@code sink}, made by {@link #create}; closes it if it cannot be opened. */
    static RecordSink open(RecordSink sink, SinkSettings settings, PartitionInfo partition) throws Exception {
        try {
            sink.open(new SinkContext(settings.sink().custom(), settings.codec().schema(), settings.partition().runId(), partition));
            return sink;
        } catch (Exception | Error e) {
            sink.close();
            throw e;
        }
    }

    static RecordSink create(SinkSettings settings) {
        String kind = settings.sink().sink();
        if (SinkOptions.HTTP.equals(kind)) {
            return new HttpRecordSink(settings);
        }
        if (SinkOptions.JDBC.equals(kind)) {
            return new JdbcRecordSink(settings);
        }
        try {
            Class<?> c = Class.forName(kind, true, Thread.currentThread().getContextClassLoader());
            if (!RecordSink.class.isAssignableFrom(c)) {
                throw new IllegalArgumentException("sink: " + kind + " does not implement " + RecordSink.class.getName());
            }
            return (RecordSink) c.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("sink: no class " + kind + " on the classpath (built-in sinks: http, jdbc)");
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("sink: cannot create " + kind + " (it needs a public no-argument constructor): " + e);
        }
    }
}
