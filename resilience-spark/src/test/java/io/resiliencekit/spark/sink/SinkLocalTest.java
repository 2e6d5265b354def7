package io.resiliencekit.spark.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.resiliencekit.config.ConfigException;
import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.spark.partition.DeadLetterFiles;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.testkit.FlakyApiServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Done-when 3 and 4 of issue 12 on {@code local[2]} (no plugin: validation, health checks and
 * metrics are driver-side and per-task matters, nothing distributed): options with several errors
 * fail before any task with one message naming each, an unreachable or unauthorised endpoint fails
 * the health check before any task, neither leaks the secret; the sink's custom metrics are read
 * back from Spark's SQL status store. Documented defaults throughout, except the options each
 * test is about.
 */
class SinkLocalTest {

    static final String SECRET = "s3cr3t-Token-0042";
    static final AtomicInteger TASKS = new AtomicInteger();

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.local();

    @TempDir
    Path tmp;

    @BeforeAll
    static void countTasks() {
        SPARK.spark().sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart taskStart) {
                TASKS.incrementAndGet();
            }
        });
    }

    @BeforeEach
    void settle() throws InterruptedException {
        Thread.sleep(200);   // listener events of the previous test are delivered asynchronously
        TASKS.set(0);
    }

    static Dataset<Row> rows(int n) {
        return SPARK.spark().range(0, n).selectExpr("concat('r-', CAST(id AS STRING)) AS id", "id * 2 AS amount")
                .repartition(2);
    }

    @Test
    void severalBadOptionsFailBeforeAnyTaskWithOneMessageNamingEachAndNoSecret() throws Exception {
        Map<String, String> o = new HashMap<>();
        o.put("SINK", "jdbc");                                   // case-insensitive keys, as Spark passes them
        o.put("jdbc.url", "postgres://db/shop");                 // not a JDBC URL
        o.put("jdbc.password", SECRET);
        o.put("jdbc.mode", "upsert");                            // needs jdbc.keyColumns
        o.put("retry.maxAttempts", "0");                         // out of range
        o.put("rateLimit.rat", "100");                           // typo
        o.put("keyColumn", "order_id");                          // no such column
        assertThatThrownBy(() -> rows(10).write().format("resilient").options(o).mode("append").save())
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    String m = e.getMessage();
                    System.out.println("validation: " + m);
                    assertThat(m).contains("jdbc.url").contains("jdbc.table").contains("jdbc.keyColumns")
                            .contains("retry.maxAttempts").contains("rateLimit.rat").contains("did you mean")
                            .contains("keyColumn").contains("partition.runId").doesNotContain(SECRET);
                    assertThat(((ConfigException) e).problems()).hasSizeGreaterThanOrEqualTo(7);
                });
        Thread.sleep(200);
        assertThat(TASKS.get()).as("tasks started").isZero();
    }

    @Test
    void anUnreachableEndpointFailsTheHealthCheckBeforeAnyTask() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();   // closed again: nothing listens there
        }
        Map<String, String> o = httpOptions("http://user:" + SECRET + "@127.0.0.1:" + port + "/v1");
        o.put("http.header.Authorization", "Bearer " + SECRET);
        assertThatThrownBy(() -> rows(10).write().format("resilient").options(o).mode("append").save())
                .isInstanceOf(SinkUnavailableException.class)
                .satisfies(e -> {
                    System.out.println("unreachable: " + e.getMessage());
                    assertThat(e.getMessage()).contains("cannot reach").contains("127.0.0.1:" + port).doesNotContain(SECRET);
                });
        Thread.sleep(200);
        assertThat(TASKS.get()).as("tasks started").isZero();
    }

    @Test
    void anUnauthorisedEndpointFailsTheHealthCheckBeforeAnyTask() throws Exception {
        HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        api.createContext("/", x -> {
            boolean ok = ("Bearer right-" + SECRET).equals(x.getRequestHeaders().getFirst("Authorization"));
            x.sendResponseHeaders(ok ? 200 : 401, -1);
            x.close();
        });
        api.start();
        try {
            Map<String, String> o = httpOptions("http://127.0.0.1:" + api.getAddress().getPort());
            o.put("http.header.Authorization", "Bearer wrong-" + SECRET);
            assertThatThrownBy(() -> rows(10).write().format("resilient").options(o).mode("append").save())
                    .isInstanceOf(SinkUnavailableException.class)
                    .satisfies(e -> {
                        System.out.println("unauthorised: " + e.getMessage());
                        assertThat(e.getMessage()).contains("401").contains("authentication").doesNotContain(SECRET);
                    });
            Thread.sleep(200);
            assertThat(TASKS.get()).as("tasks started").isZero();
        } finally {
            api.stop(0);
        }
    }

    /** Also in the spark-compat set: the same jar's sink on Spark 3.5 (Scala 2.12 and 2.13) and 4.0. */
    @Test
    void aSmallHttpWriteDeliversEveryRowOnceWithItsKey() throws Exception {
        try (FlakyApiServer server = FlakyApiServer.builder().seed(5).failFirstPerKey(1, io.resiliencekit.testkit.Fault.RESET)
                .start()) {
            Map<String, String> o = httpOptions(server.baseUri().toString());
            o.put("HTTP.Path", FlakyApiServer.RECORDS_PATH);   // keys are case-insensitive
            o.put("keyColumn", "id");
            rows(12).write().format("resilient").options(o).mode("append").save();
            assertThat(server.effectsPerRecordId()).hasSize(12);
            assertThat(server.effectsPerRecordId().values()).containsOnly(1);
            assertThat(server.effectsPerKey().keySet()).as("Idempotency-Key = namespace:runId:keyColumn")
                    .contains("rk:local-run-1:r-0", "rk:local-run-1:r-11");
            assertThat(server.receivedCount()).as("every first attempt reset, retried once").isEqualTo(24);
        }
    }

    @Test
    void theSinksCustomMetricsAreInSparksStatusStore() throws Exception {
        try (FlakyApiServer server = FlakyApiServer.builder().seed(3).poisonIds("r-7").start()) {
            Map<String, String> o = httpOptions(server.baseUri().toString());
            o.put("http.path", FlakyApiServer.RECORDS_PATH);
            o.put("partition.continueOnError", "true");
            o.put("partition.deadLetterPath", tmp.resolve("dlq").toString());
            rows(40).write().format("resilient").options(o).mode("append").save();
            List<DeadLetter> letters = DeadLetterFiles.read(tmp.resolve("dlq").toString());
            letters.forEach(l -> System.out.println("dead letter: " + l.errorClass() + ": " + l.message()));
            assertThat(server.acceptedCount()).isEqualTo(39);
            assertThat(letters).hasSize(1);

            Map<String, Long> metrics = StatusStoreMetrics.lastWrite(SPARK.spark());
            System.out.println("status store metrics: " + metrics);
            assertThat(metrics).containsEntry("rows written (effects made)", 39L)
                    .containsEntry("rows dead-lettered", 1L)
                    .containsEntry("rows skipped as already written", 0L);
        }
    }

    static Map<String, String> httpOptions(String baseUri) {
        Map<String, String> o = new HashMap<>();
        o.put("sink", "http");
        o.put("http.baseUri", baseUri);
        o.put("partition.runId", "local-run-1");
        return o;
    }
}
