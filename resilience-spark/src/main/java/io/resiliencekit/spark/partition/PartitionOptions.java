package io.resiliencekit.spark.partition;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Options;
import io.resiliencekit.idempotency.IdempotencyKeys;
import io.resiliencekit.spark.partition.internal.HadoopFiles;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the partition helpers process a partition. Immutable and {@link Serializable}; built with
 * {@link #builder()} or parsed from string options (all under {@code partition.}), and validated on
 * the driver with every problem reported at once.
 *
 * <p>Options: {@code partition.runId} (required when {@code idempotencyKeys}), {@code jobId},
 * {@code idempotencyKeys} (true), {@code keyNamespace} (rk), {@code batchSize} (1),
 * {@code continueOnError} (false), {@code deadLetterPath} (required when {@code continueOnError}; a
 * path or a Hadoop file system URI such as {@code s3a://bucket/dlq}), {@code metricsLog} (true),
 * {@code concurrency} (auto: calls of one task in flight, adapted to keep the policy's rate limit
 * busy), {@code outageMaxWait} (5m: how long a record waits out failures that are not its fault).
 * Types, ranges and docs: {@code docs/options.md}, generated from {@link #optionSchema()}.
 *
 * <pre>{@code
 * PartitionOptions opts = PartitionOptions.fromOptions(Map.of(
 *     "partition.runId", "2024-06-01",
 *     "partition.continueOnError", "true",
 *     "partition.deadLetterPath", "/data/dlq/orders"));
 * }</pre>
 */
public final class PartitionOptions implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,199}");
    public static final String PREFIX = "partition.";
    static final Duration DEFAULT_OUTAGE_MAX_WAIT = Duration.ofMinutes(5);

    private final String runId;
    private final String jobId;
    private final boolean idempotencyKeys;
    private final String keyNamespace;
    private final int batchSize;
    private final boolean continueOnError;
    private final String deadLetterPath;
    private final boolean metricsLog;
    /** {@link #concurrency()} when it adapts. */
    public static final int AUTO = 0;
    static final int MAX_CONCURRENCY = 256;

    private final Duration outageMaxWait;
    private final int concurrency;

    private PartitionOptions(Builder b) {
        this.outageMaxWait = b.outageMaxWait;
        this.concurrency = b.concurrency;
        this.runId = b.runId;
        this.jobId = b.jobId;
        this.idempotencyKeys = b.idempotencyKeys;
        this.keyNamespace = b.keyNamespace;
        this.batchSize = b.batchSize;
        this.continueOnError = b.continueOnError;
        this.deadLetterPath = b.deadLetterPath;
        this.metricsLog = b.metricsLog;
    }

    public static Builder builder() {
        return new Builder();
    }

    private static final OptionSchema.Declarer<PartitionOptions> D = OptionSchema.declarer(PartitionOptions.class);
    private static final String ID_RULE = "1-200 letters, digits, '.', '_', ':' or '-'";
    // namespace:runId:p<partition>:b:<sha-256 hex>, the longest key the helpers derive themselves
    private static final int DERIVED_KEY_OVERHEAD = 1 + 2 + 10 + 3 + 64;

    static final OptionSchema.Option<PartitionOptions, String> RUN_ID = D.option("runId", runIdType(), null,
        PartitionOptions::runId, "The logical run (a batch id, a logical date): part of every idempotency key. "
            + "Never wall-clock time or an attempt number; rejected if it looks like either.")
        .defaultDoc("required when idempotencyKeys");
    static final OptionSchema.Option<PartitionOptions, String> JOB_ID = D.option("jobId",
        OptionType.matching(ID, ID_RULE), null, PartitionOptions::jobId, "Put in the MDC and the metrics lines.")
        .defaultDoc("the job group, or empty");
    static final OptionSchema.Option<PartitionOptions, Boolean> IDEMPOTENCY_KEYS = D.option("idempotencyKeys",
        OptionType.bool(), true, PartitionOptions::idempotencyKeys, "Give each call a key and a fingerprint.");
    static final OptionSchema.Option<PartitionOptions, String> KEY_NAMESPACE = D.option("keyNamespace",
        OptionType.matching(ID, ID_RULE), "rk", PartitionOptions::keyNamespace, "First part of each key.");
    static final OptionSchema.Option<PartitionOptions, Integer> BATCH_SIZE = D.option("batchSize",
        OptionType.integer(1, 100_000), 1, PartitionOptions::batchSize, "Records per policy call (batch forms).");
    static final OptionSchema.Option<PartitionOptions, Boolean> CONTINUE_ON_ERROR = D.option("continueOnError",
        OptionType.bool(), false, PartitionOptions::continueOnError, "Dead-letter a failed record and go on.");
    static final OptionSchema.Option<PartitionOptions, String> DEAD_LETTER_PATH = D.option("deadLetterPath",
        HadoopFiles.directoryType(), null, PartitionOptions::deadLetterPath,
        "Directory of JSON Lines dead letters shared by executors, on any Hadoop file system (a path without a "
            + "scheme is on the default one); each task attempt's letters appear all at once or not at all.")
        .defaultDoc("required when continueOnError");
    static final OptionSchema.Option<PartitionOptions, Boolean> METRICS_LOG = D.option("metricsLog",
        OptionType.bool(), true, PartitionOptions::metricsLog, "Log one JSON metrics line per partition.");
    static final OptionSchema.Option<PartitionOptions, Integer> CONCURRENCY = D.option("concurrency",
        concurrencyType(), AUTO, PartitionOptions::concurrency,
        "Calls of one task in flight at once, through the asynchronous engine: auto adapts them to keep the "
            + "policy's rate limit busy at the latency the task measures (1 without a rate limiter, with a "
            + "resource not declared thread-safe, or in the batch forms; the http sink is thread-safe); map keeps "
            + "record order either way.");
    static final OptionSchema.Option<PartitionOptions, Duration> OUTAGE_MAX_WAIT = D.option("outageMaxWait",
        OptionType.duration(Duration.ZERO, Duration.ofDays(1)), DEFAULT_OUTAGE_MAX_WAIT, PartitionOptions::outageMaxWait,
        "How long, in all, a record waits out failures that are not its fault (breaker open, the dependency "
            + "failing for every call, throttled, retry budget spent) before it is dead-lettered or fails the task "
            + "(0: at once). Each letter says why.");

    static final OptionSchema<PartitionOptions> SCHEMA = OptionSchema.<PartitionOptions>builder("Partition helpers (`partition.*`)")
        .description("`PartitionOptions.fromOptions(map)`: how `Partitions` processes each partition. Validated on the "
            + "driver, together with the policy, before any task starts.")
        .addAll(D)
        .build(PartitionOptions::fromValues);

    private static OptionType<String> runIdType() {
        return OptionType.custom("string", "a logical run id: " + ID_RULE + ", at most 128, not a timestamp or attempt", t -> {
            if (!ID.matcher(t).matches()) {
                throw new OptionType.InvalidValue("must be " + ID_RULE);
            }
            String problem = IdempotencyKeys.runIdProblem(t);
            if (problem != null) {
                throw new OptionType.InvalidValue(problem);
            }
            return t;
        }, s -> s);
    }

    private static OptionType<Integer> concurrencyType() {
        OptionType<Integer> n = OptionType.integer(1, MAX_CONCURRENCY);
        return OptionType.custom("auto or integer", "auto, or 1.." + MAX_CONCURRENCY, t -> {
            if ("auto".equalsIgnoreCase(t.trim())) {
                return AUTO;
            }
            try {
                return n.parse(t.trim());
            } catch (OptionType.InvalidValue e) {
                throw new OptionType.InvalidValue("must be auto or a whole number between 1 and " + MAX_CONCURRENCY);
            }
        }, c -> c == AUTO ? "auto" : Integer.toString(c));
    }

    private static PartitionOptions fromValues(OptionSchema.Values v) {
        Builder b = builder();
        b.runId = v.get(RUN_ID);
        b.jobId = v.get(JOB_ID);
        b.idempotencyKeys = v.get(IDEMPOTENCY_KEYS);
        b.keyNamespace = v.get(KEY_NAMESPACE);
        b.batchSize = v.get(BATCH_SIZE);
        b.continueOnError = v.get(CONTINUE_ON_ERROR);
        b.deadLetterPath = v.get(DEAD_LETTER_PATH);
        b.metricsLog = v.get(METRICS_LOG);
        b.outageMaxWait = v.get(OUTAGE_MAX_WAIT);
        b.concurrency = v.get(CONCURRENCY);
        if (b.idempotencyKeys && b.runId == null && v.isValid(RUN_ID)) {
            v.problem(RUN_ID, "is required when " + v.key(IDEMPOTENCY_KEYS) + " is true "
                + "(a logical run id such as a batch id; never wall-clock time or attempt numbers)");
        }
        if (b.idempotencyKeys && b.runId != null && v.isValid(KEY_NAMESPACE)) {
            int longest = b.keyNamespace.length() + 1 + b.runId.length() + DERIVED_KEY_OVERHEAD;
            if (longest > IdempotencyKeys.MAX_KEY_LENGTH) {
                v.problem(RUN_ID, "with " + v.key(KEY_NAMESPACE) + " makes keys of up to " + longest + " characters, at most "
                    + IdempotencyKeys.MAX_KEY_LENGTH + " allowed; shorten the run id or the namespace");
            }
        }
        if (b.continueOnError && b.deadLetterPath == null && v.isValid(DEAD_LETTER_PATH)) {
            v.problem(DEAD_LETTER_PATH, "is required when " + v.key(CONTINUE_ON_ERROR) + " is true");
        }
        return new PartitionOptions(b);
    }

    /** The options of the partition helpers: keys, types, ranges, defaults and docs. */
    public static OptionSchema<PartitionOptions> optionSchema() {
        return SCHEMA;
    }

    /** Parses {@code partition.*} options (other keys are left alone); throws one {@link ConfigException} naming every problem. */
    public static PartitionOptions fromOptions(Map<String, String> options) {
        return SCHEMA.parse(options, PREFIX);
    }

    /** Back to string options; {@code fromOptions(toOptions())} equals this. */
    public Map<String, String> toOptions() {
        return SCHEMA.toOptions(this, PREFIX);
    }

    /** Every problem of these options (empty when valid): the same checks, and messages, as {@link #fromOptions}. */
    public List<String> problems() {
        return toBuilder().problems();
    }

    public String runId() { return runId; }
    public String jobId() { return jobId; }
    public boolean idempotencyKeys() { return idempotencyKeys; }
    public String keyNamespace() { return keyNamespace; }
    public int batchSize() { return batchSize; }
    public boolean continueOnError() { return continueOnError; }
    public String deadLetterPath() { return deadLetterPath; }
    public boolean metricsLog() { return metricsLog; }
    /**
     * How long, in all, a record may wait out failures that are not its fault before it counts as
     * failed: an open breaker, the dependency failing for every call, throttling, a spent retry budget.
     */
    public Duration outageMaxWait() { return outageMaxWait; }
    /** Calls of one task in flight at once; {@link #AUTO} (0) when it adapts. */
    public int concurrency() { return concurrency; }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.runId = runId;
        b.jobId = jobId;
        b.idempotencyKeys = idempotencyKeys;
        b.keyNamespace = keyNamespace;
        b.batchSize = batchSize;
        b.continueOnError = continueOnError;
        b.deadLetterPath = deadLetterPath;
        b.metricsLog = metricsLog;
        b.outageMaxWait = outageMaxWait;
        b.concurrency = concurrency;
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PartitionOptions p && toOptions().equals(p.toOptions());
    }

    @Override
    public int hashCode() {
        return toOptions().hashCode();
    }

    @Override
    public String toString() {
        return "PartitionOptions" + SCHEMA.describe(this);
    }

    /** Builds {@link PartitionOptions}; {@link #build()} validates. */
    public static final class Builder {
        private String runId;
        private String jobId;
        private boolean idempotencyKeys = true;
        private String keyNamespace = "rk";
        private int batchSize = 1;
        private boolean continueOnError;
        private String deadLetterPath;
        private boolean metricsLog = true;
        private Duration outageMaxWait = DEFAULT_OUTAGE_MAX_WAIT;
        private int concurrency = AUTO;

        public Builder runId(String runId) { this.runId = runId; return this; }
        public Builder jobId(String jobId) { this.jobId = jobId; return this; }
        public Builder idempotencyKeys(boolean on) { this.idempotencyKeys = on; return this; }
        public Builder keyNamespace(String ns) { this.keyNamespace = ns; return this; }
        public Builder batchSize(int n) { this.batchSize = n; return this; }
        public Builder continueOnError(boolean on) { this.continueOnError = on; return this; }
        public Builder deadLetterPath(String path) { this.deadLetterPath = path; return this; }
        public Builder metricsLog(boolean on) { this.metricsLog = on; return this; }
        public Builder outageMaxWait(Duration d) { this.outageMaxWait = d; return this; }
        /** Calls of one task in flight at once, 1 to 256; {@link #autoConcurrency()} is the default. */
        public Builder concurrency(int n) { this.concurrency = n; return this; }
        /** Adapt the calls in flight to keep the policy's rate limit busy (see the Spark guide). */
        public Builder autoConcurrency() { this.concurrency = AUTO; return this; }

        // A builder's values go through the option schema too: one set of rules and messages.
        List<String> problems() {
            List<String> p = new ArrayList<>();
            if (outageMaxWait == null || outageMaxWait.isNegative()) {
                p.add(PREFIX + "outageMaxWait: must be zero or positive, was " + outageMaxWait);
            }
            Builder checked = toBuilderCopy();
            if (checked.outageMaxWait == null || checked.outageMaxWait.isNegative()) {
                checked.outageMaxWait = DEFAULT_OUTAGE_MAX_WAIT;
            }
            Options o = Options.of(SCHEMA.toOptions(new PartitionOptions(checked), PREFIX));
            SCHEMA.read(o, PREFIX, false);
            p.addAll(o.problems());
            return p;
        }

        private Builder toBuilderCopy() {
            return new PartitionOptions(this).toBuilder();
        }

        public PartitionOptions build() {
            List<String> p = problems();
            if (!p.isEmpty()) {
                throw new ConfigException(p);
            }
            return new PartitionOptions(this);
        }

        /** Builds without validating; the helpers validate again on the driver with the policy's problems. */
        PartitionOptions buildUnchecked() {
            return new PartitionOptions(this);
        }
    }
}
