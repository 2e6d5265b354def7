package io.resiliencekit.spark.partition;

import io.resiliencekit.config.ConfigException;
import io.resiliencekit.config.Options;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the partition helpers process a partition. Immutable and {@link Serializable}; built with
 * {@link #builder()} or parsed from string options (all under {@code partition.}), and validated on
 * the driver with every problem reported at once.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>partition.runId</td><td>required when idempotencyKeys</td><td>logical run (batch id, trigger time); part of every idempotency key</td></tr>
 *   <tr><td>partition.jobId</td><td>job group, or empty</td><td>put in the MDC and metrics lines</td></tr>
 *   <tr><td>partition.idempotencyKeys</td><td>true</td><td>give each call a key and fingerprint</td></tr>
 *   <tr><td>partition.keyNamespace</td><td>rk</td><td>first part of each key</td></tr>
 *   <tr><td>partition.batchSize</td><td>1</td><td>records per policy call (batch forms)</td></tr>
 *   <tr><td>partition.continueOnError</td><td>false</td><td>dead-letter a failed record and go on</td></tr>
 *   <tr><td>partition.deadLetterPath</td><td>required when continueOnError</td><td>directory of JSON Lines dead letters, shared by executors</td></tr>
 *   <tr><td>partition.metricsLog</td><td>true</td><td>log one JSON metrics line per partition</td></tr>
 *   <tr><td>partition.concurrency</td><td>auto</td><td>calls of one task in flight at once: {@code auto}
 *       (adapts to keep the policy's rate limit busy; 1 without a rate limiter, with a resource or in
 *       the batch forms) or a number from 1 to 256</td></tr>
 *   <tr><td>partition.outageMaxWait</td><td>5m</td><td>how long a record waits while its failures are not its
 *       fault (breaker open, the dependency failing for every call, throttled, retry budget spent)
 *       before it is dead-lettered or fails the task (0: at once)</td></tr>
 * </table>
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

    /** Parses {@code partition.*} options; throws one {@link ConfigException} naming every problem. */
    public static PartitionOptions fromOptions(Map<String, String> options) {
        Options o = Options.of(options);
        Builder b = builder();
        b.runId = o.string(PREFIX + "runId", null);
        b.jobId = o.string(PREFIX + "jobId", null);
        b.idempotencyKeys = o.booleanValue(PREFIX + "idempotencyKeys", true);
        b.keyNamespace = o.string(PREFIX + "keyNamespace", "rk");
        b.batchSize = o.intValue(PREFIX + "batchSize", 1, 1, 100_000);
        b.continueOnError = o.booleanValue(PREFIX + "continueOnError", false);
        b.deadLetterPath = o.string(PREFIX + "deadLetterPath", null);
        b.metricsLog = o.booleanValue(PREFIX + "metricsLog", true);
        b.outageMaxWait = o.duration(PREFIX + "outageMaxWait", DEFAULT_OUTAGE_MAX_WAIT, Duration.ZERO, Duration.ofDays(1));
        String c = o.string(PREFIX + "concurrency", "auto");
        if (!"auto".equalsIgnoreCase(c.trim())) {
            b.concurrency = o.intValue(PREFIX + "concurrency", 1, 1, MAX_CONCURRENCY);
        }
        o.rejectUnknown(PREFIX);
        List<String> problems = new ArrayList<>(o.problems());
        problems.addAll(b.problems());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new PartitionOptions(b);
    }

    /** Back to string options; {@code fromOptions(toOptions())} equals this. */
    public Map<String, String> toOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        if (runId != null) m.put(PREFIX + "runId", runId);
        if (jobId != null) m.put(PREFIX + "jobId", jobId);
        m.put(PREFIX + "idempotencyKeys", String.valueOf(idempotencyKeys));
        m.put(PREFIX + "keyNamespace", keyNamespace);
        m.put(PREFIX + "batchSize", String.valueOf(batchSize));
        m.put(PREFIX + "continueOnError", String.valueOf(continueOnError));
        if (deadLetterPath != null) m.put(PREFIX + "deadLetterPath", deadLetterPath);
        m.put(PREFIX + "metricsLog", String.valueOf(metricsLog));
        m.put(PREFIX + "outageMaxWait", outageMaxWait.toString());
        m.put(PREFIX + "concurrency", concurrency == AUTO ? "auto" : String.valueOf(concurrency));
        return m;
    }

    /** Every problem of these options (empty when valid). */
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
        return "PartitionOptions" + toOptions();
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

        List<String> problems() {
            List<String> p = new ArrayList<>();
            if (idempotencyKeys && (runId == null || runId.isBlank())) {
                p.add(PREFIX + "runId: is required when partition.idempotencyKeys is true "
                    + "(a logical run id such as a batch id; never wall-clock time or attempt numbers)");
            } else if (runId != null && !ID.matcher(runId).matches()) {
                p.add(PREFIX + "runId: must be 1-200 letters, digits, '.', '_', ':' or '-', was '" + runId + "'");
            }
            if (jobId != null && !ID.matcher(jobId).matches()) {
                p.add(PREFIX + "jobId: must be 1-200 letters, digits, '.', '_', ':' or '-', was '" + jobId + "'");
            }
            if (keyNamespace == null || !ID.matcher(keyNamespace).matches()) {
                p.add(PREFIX + "keyNamespace: must be 1-200 letters, digits, '.', '_', ':' or '-', was '" + keyNamespace + "'");
            }
            if (batchSize < 1 || batchSize > 100_000) {
                p.add(PREFIX + "batchSize: must be between 1 and 100000, was " + batchSize);
            }
            if (outageMaxWait == null || outageMaxWait.isNegative()) {
                p.add(PREFIX + "outageMaxWait: must be zero or positive, was " + outageMaxWait);
            }
            if (concurrency < AUTO || concurrency > MAX_CONCURRENCY) {
                p.add(PREFIX + "concurrency: must be auto or between 1 and " + MAX_CONCURRENCY + ", was " + concurrency);
            }
            if (continueOnError && (deadLetterPath == null || deadLetterPath.isBlank())) {
                p.add(PREFIX + "deadLetterPath: is required when partition.continueOnError is true");
            }
            return p;
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
