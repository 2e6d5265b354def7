package io.resiliencekit.spark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.spark.testing.SparkClusters;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Done-when 2 of issue 12 (and the SQL front end of done-when 5) against a real PostgreSQL: a JDBC
 * sink write with a task killed mid-write (Spark's own {@code killTaskAttempt}, which reschedules
 * it) and a second write of the same run id leave exactly the input rows in a table that has no
 * unique constraint of its own: only the sink's key ledger, written in each batch's transaction,
 * keeps rows from repeating.
 *
 * <p>Settings and why: {@code local[2,4]} (local mode with task retries, as a cluster has; the
 * guarantee is the database transaction, not cross-JVM coordination), {@code partition.runId};
 * the sink's documented defaults otherwise ({@code partition.batchSize} 500, insert mode, ledger
 * table created by the health check). A trigger sleeps 2 ms per row, so the kill lands between
 * committed batches and the rest of the partition.
 */
class JdbcSinkTest {

    static final int ROWS = 3000;
    static EmbeddedPostgres pg;
    static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.start();
        spark = SparkClusters.local("JdbcSinkTest", Map.of("spark.master", "local[2,4]"));
        sql("CREATE TABLE orders (id VARCHAR(20), amount BIGINT, placed DATE)");
        sql("CREATE FUNCTION slow_row() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END $$ LANGUAGE plpgsql");
        sql("CREATE TRIGGER slow_orders BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION slow_row()");
        sql("CREATE TABLE sql_orders (id VARCHAR(20) PRIMARY KEY, amount BIGINT, placed DATE)");
    }

    @AfterAll
    static void stop() throws Exception {
        SparkClusters.stop(spark);
        pg.close();
    }

    static void sql(String statement) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    static long count(String query) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }

    static Map<String, String> options(String table) {
        Map<String, String> o = new HashMap<>();
        o.put("sink", "jdbc");
        o.put("jdbc.url", pg.getJdbcUrl("postgres", "postgres"));
        o.put("jdbc.user", "postgres");
        o.put("jdbc.table", table);
        o.put("partition.runId", "orders-2026-12-01");
        return o;
    }

    static Dataset<Row> input(int n) {
        return spark.range(0, n).selectExpr("concat('o-', CAST(id AS STRING)) AS id", "id * 5 AS amount",
                "date_add(DATE'2026-12-01', CAST(id % 7 AS INT)) AS placed").repartition(2);
    }

    @Test
    void aTaskKilledMidWriteAndASecondWriteOfTheSameRunLeaveExactlyTheInputRows() throws Exception {
        ConcurrentLinkedQueue<Long> running = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> ends = new ConcurrentLinkedQueue<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart e) {
                running.add(e.taskInfo().taskId());
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd e) {
                running.remove(e.taskInfo().taskId());
                ends.add(e.taskInfo().index() + "/" + e.taskInfo().attemptNumber() + ":" + e.reason().getClass().getSimpleName());
            }
        };
        spark.sparkContext().addSparkListener(listener);
        try {
            CompletableFuture<Void> write = CompletableFuture.runAsync(() ->
                    input(ROWS).write().format("resilient").options(options("orders")).mode("append").save());
            // kill a writing task once its first batch is committed and before the table is complete
            long killed = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (killed < 0 && !write.isDone() && System.nanoTime() < deadline) {
                long n = count("SELECT count(*) FROM orders");
                Long task = running.peek();
                if (n >= 500 && n < ROWS - 500 && task != null) {
                    spark.sparkContext().killTaskAttempt(task, true, "issue 12 test: killed mid-write");
                    killed = task;
                    System.out.printf("killed task %d with %d of %d rows in the table%n", task, n, ROWS);
                }
                Thread.sleep(20);
            }
            write.get(5, TimeUnit.MINUTES);
            Thread.sleep(300);   // task-end events arrive asynchronously
            System.out.println("task ends: " + ends);
            assertThat(killed).as("a task was killed mid-write").isNotNegative();
            assertThat(ends).as("the killed task ran again").anyMatch(s -> s.endsWith(":TaskKilled"));
            assertThat(count("SELECT count(*) FROM orders")).as("rows").isEqualTo(ROWS);
            assertThat(count("SELECT count(DISTINCT id) FROM orders")).as("distinct rows").isEqualTo(ROWS);

            // the same run again: every key is in the ledger, nothing is inserted
            input(ROWS).write().format("resilient").options(options("orders")).mode("append").save();
            assertThat(count("SELECT count(*) FROM orders")).as("rows after a second write of the run").isEqualTo(ROWS);
            assertThat(count("SELECT sum(amount) FROM orders")).isEqualTo(5L * ROWS * (ROWS - 1) / 2);
            Map<String, Long> metrics = StatusStoreMetrics.lastWrite(spark);
            System.out.println("second write's metrics: " + metrics);
            assertThat(metrics).containsEntry("rows written (effects made)", 0L)
                    .containsEntry("rows skipped as already written", (long) ROWS);
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
    }

    @Test
    void theSameWriteFromSql() throws Exception {
        Map<String, String> o = options("sql_orders");
        o.put("partition.runId", "sql-run-1");
        StringBuilder opts = new StringBuilder();
        o.forEach((k, v) -> opts.append(opts.length() == 0 ? "" : ", ").append('`').append(k).append("` '").append(v).append('\''));
        spark.sql("CREATE TABLE resilient_orders (id STRING, amount BIGINT, placed DATE) USING resilient OPTIONS (" + opts + ")");
        spark.sql("INSERT INTO resilient_orders SELECT concat('s-', CAST(id AS STRING)), id, DATE'2026-12-01' FROM range(0, 200)");
        spark.sql("INSERT INTO resilient_orders SELECT concat('s-', CAST(id AS STRING)), id, DATE'2026-12-01' FROM range(0, 200)");
        assertThat(count("SELECT count(*) FROM sql_orders")).as("rows, the same INSERT run twice").isEqualTo(200);
    }
}
