package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.sink.SinkOptions;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.types.StructType;

/**
 * Everything one write needs, parsed on the driver from one case-insensitive option map with
 * every problem of every section (sink, policy, {@code partition.*}, {@code http.*}, columns)
 * reported in one {@link ConfigException}. Serializable: it travels to the tasks.
 */
public final class SinkSettings implements Serializable {

    private static final long serialVersionUID = 1L;
    static final int JDBC_DEFAULT_BATCH = 500;

    private final SinkOptions sink;
    private final ResiliencePolicyConfig policy;
    private final PartitionOptions partition;
    private final HttpJsonClientConfig http;
    private final RowCodec codec;

    private SinkSettings(SinkOptions sink, ResiliencePolicyConfig policy, PartitionOptions partition,
                         HttpJsonClientConfig http, RowCodec codec) {
        this.sink = sink;
        this.policy = policy;
        this.partition = partition;
        this.http = http;
        this.codec = codec;
    }

    /** Parses {@code given} for rows of {@code schema}; throws one {@link ConfigException} naming every problem. */
    public static SinkSettings parse(Map<String, String> given, StructType schema) {
        Map<String, String> withDefaults = new LinkedHashMap<>(given);
        String kind = lowerValue(given, "sink");
        if (kind != null && kind.matches("[A-Za-z0-9._-]{1,50}") && !hasKey(given, "name")) {
            withDefaults.put("name", defaultName(kind, given));
        }
        if (SinkOptions.JDBC.equals(kind) && !hasKey(given, "partition.batchSize")) {
            withDefaults.put("partition.batchSize", String.valueOf(JDBC_DEFAULT_BATCH));
        }
        boolean builtInJdbc = SinkOptions.JDBC.equals(kind);
        if (!builtInJdbc && !hasAnyUnder(given, "idempotency.")) {
            // a sink that does not deduplicate itself claims every key first (the driver's ledger with the plugin)
            withDefaults.put("idempotency.store", "auto");
        }
        Options o = Options.of(withDefaults);
        SinkOptions sinkOptions = SinkOptions.optionSchema().read(o, "", false);
        PartitionOptions partition = PartitionOptions.optionSchema().read(o, PartitionOptions.PREFIX, true);
        HttpJsonClientConfig http = null;
        if (SinkOptions.HTTP.equals(sinkOptions.sink())) {
            http = HttpJsonClientConfig.fromOptions(o, "http.");
            if (partition.batchSize() != 1) {
                o.problem("partition.batchSize", "must be 1 for the http sink (one request, one key per row)");
            }
        }
        if (!partition.idempotencyKeys()) {
            o.problem("partition.idempotencyKeys", "must be true for the resilient sink: exactly once rests on the keys");
        }
        ResiliencePolicyConfig policy = ResiliencePolicyConfig.optionSchema().read(o, "", true);
        RowCodec codec = RowCodec.of(schema, sinkOptions, o);
        o.throwIfInvalid();
        return new SinkSettings(sinkOptions, policy, partition, http, codec);
    }

    /**
     * {@code resilient-<sink>-<hash of the policy's options>}: writes with the same policy options share
     * one policy (and its limiter: one quota), writes with other options get their own instead of a
     * "same name, other spec" error.
     */
    static String defaultName(String kind, Map<String, String> given) {
        java.util.TreeMap<String, String> policyOptions = new java.util.TreeMap<>();
        given.forEach((k, v) -> {
            String lower = k.toLowerCase(Locale.ROOT);
            if (lower.startsWith("retry.") || lower.startsWith("breaker.") || lower.startsWith("ratelimit.")
                || lower.startsWith("idempotency.") || lower.startsWith("metrics.")) {
                policyOptions.put(lower, v);
            }
        });
        String simple = kind.contains(".") ? kind.substring(kind.lastIndexOf('.') + 1) : kind;
        simple = simple.length() > 40 ? simple.substring(0, 40) : simple;
        return "resilient-" + simple + "-" + Integer.toHexString(policyOptions.toString().hashCode());
    }

    /** The {@code sink} option's value, http and jdbc in lower case, before the schema reads it. */
    private static String lowerValue(Map<String, String> m, String key) {
        for (Map.Entry<String, String> e : m.entrySet()) {
            if (e.getKey().equalsIgnoreCase(key) && e.getValue() != null) {
                String v = e.getValue().strip();
                return v.equalsIgnoreCase(SinkOptions.HTTP) || v.equalsIgnoreCase(SinkOptions.JDBC) ? v.toLowerCase(Locale.ROOT) : v;
            }
        }
        return null;
    }

    private static boolean hasKey(Map<String, String> m, String key) {
        return m.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(key));
    }

    private static boolean hasAnyUnder(Map<String, String> m, String prefix) {
        return m.keySet().stream().anyMatch(k -> k.toLowerCase(Locale.ROOT).startsWith(prefix));
    }

    public SinkOptions sink() {
        return sink;
    }

    public ResiliencePolicyConfig policy() {
        return policy;
    }

    public PartitionOptions partition() {
        return partition;
    }

    /** The HTTP client's config; null unless the sink is http. */
    public HttpJsonClientConfig http() {
        return http;
    }

    public RowCodec codec() {
        return codec;
    }

    @Override
    public String toString() {
        return "SinkSettings{" + sink + ", " + policy + ", " + partition + (http == null ? "" : ", " + http) + "}";
    }
}
