package io.resiliencekit.spark.partition.internal;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * Minimal JSON writing for metrics lines and reports. Strings are escaped by Jackson's encoder,
 * which every Spark version ships (jackson-core is on Spark's classpath; we add no dependency).
 */
public final class Json {

    private Json() {
    }

    public static StringBuilder string(StringBuilder sb, String s) {
        if (s == null) {
            return sb.append("null");
        }
        sb.append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, sb);
        return sb.append('"');
    }

    public static StringBuilder field(StringBuilder sb, String name, String value) {
        string(sb, name).append(':');
        return string(sb, value);
    }

    public static StringBuilder field(StringBuilder sb, String name, long value) {
        return string(sb, name).append(':').append(value);
    }

    public static StringBuilder field(StringBuilder sb, String name, double value) {
        string(sb, name).append(':');
        return Double.isFinite(value) ? sb.append(Math.round(value * 10.0) / 10.0) : sb.append("null");
    }
}
