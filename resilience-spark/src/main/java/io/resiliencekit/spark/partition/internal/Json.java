package io.resiliencekit.spark.partition.internal;

/** Minimal JSON writing for metrics lines and reports (dead letters use core's format); avoids a JSON library dependency. */
public final class Json {

    private Json() {
    }

    public static StringBuilder string(StringBuilder sb, String s) {
        if (s == null) {
            return sb.append("null");
        }
        io.resiliencekit.deadletter.internal.Json.string(s, sb);   // core's escaper, shared with dead letters
        return sb;
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
