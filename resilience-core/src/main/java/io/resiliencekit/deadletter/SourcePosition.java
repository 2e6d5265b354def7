package io.resiliencekit.deadletter;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a dead-lettered record came from: the logical run, Spark stage, partition and task
 * attempt, and its offset (Kafka offset, row number) or file. Every field is optional.
 *
 * <pre>{@code
 * SourcePosition at = SourcePosition.builder().run("batch-42").stage(3).partition(17).attempt(0)
 *     .offset(123_456L).build();
 * }</pre>
 */
public final class SourcePosition implements Serializable {

    private static final long serialVersionUID = 1L;

    /** No position known. */
    public static final SourcePosition UNKNOWN = builder().build();

    private final String run;
    private final Integer stage;
    private final Integer partition;
    private final Integer attempt;
    private final Long offset;
    private final String file;

    private SourcePosition(Builder b) {
        this.run = b.run;
        this.stage = b.stage;
        this.partition = b.partition;
        this.attempt = b.attempt;
        this.offset = b.offset;
        this.file = b.file;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String run() {
        return run;
    }

    public Integer stage() {
        return stage;
    }

    public Integer partition() {
        return partition;
    }

    /** The task attempt that failed (diagnostics only: never part of an idempotency key). */
    public Integer attempt() {
        return attempt;
    }

    public Long offset() {
        return offset;
    }

    public String file() {
        return file;
    }

    /** JSON-ready map; absent fields are null. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", run);
        m.put("stage", stage == null ? null : stage.longValue());
        m.put("partition", partition == null ? null : partition.longValue());
        m.put("attempt", attempt == null ? null : attempt.longValue());
        m.put("offset", offset);
        m.put("file", file);
        return m;
    }

    static SourcePosition fromMap(Map<?, ?> m) {
        if (m == null) {
            return UNKNOWN;
        }
        return builder().run((String) m.get("run")).stage(toInt(m.get("stage"))).partition(toInt(m.get("partition")))
            .attempt(toInt(m.get("attempt"))).offset(m.get("offset") == null ? null : ((Number) m.get("offset")).longValue())
            .file((String) m.get("file")).build();
    }

    private static Integer toInt(Object o) {
        return o == null ? null : ((Number) o).intValue();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SourcePosition)) {
            return false;
        }
        SourcePosition p = (SourcePosition) o;
        return Objects.equals(run, p.run) && Objects.equals(stage, p.stage) && Objects.equals(partition, p.partition)
            && Objects.equals(attempt, p.attempt) && Objects.equals(offset, p.offset) && Objects.equals(file, p.file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(run, stage, partition, attempt, offset, file);
    }

    @Override
    public String toString() {
        return "SourcePosition" + toMap();
    }

    /** Builds a {@link SourcePosition}. */
    public static final class Builder {
        private String run;
        private Integer stage;
        private Integer partition;
        private Integer attempt;
        private Long offset;
        private String file;

        public Builder run(String run) {
            this.run = run;
            return this;
        }

        public Builder stage(Integer stage) {
            this.stage = stage;
            return this;
        }

        public Builder partition(Integer partition) {
            this.partition = partition;
            return this;
        }

        public Builder attempt(Integer attempt) {
            this.attempt = attempt;
            return this;
        }

        public Builder offset(Long offset) {
            this.offset = offset;
            return this;
        }

        public Builder file(String file) {
            this.file = file;
            return this;
        }

        public SourcePosition build() {
            return new SourcePosition(this);
        }
    }
}
