package io.resiliencekit.spark.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.deadletter.DeadLetter;
import io.resiliencekit.spark.ResilienceCluster;
import io.resiliencekit.spark.partition.DeadLetterFiles;
import io.resiliencekit.spark.testing.SparkClusters;
import io.resiliencekit.spark.testing.SparkSessionExtension;
import io.resiliencekit.testkit.Fault;
import io.resiliencekit.testkit.FlakyApiServer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Queue;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Done-when 5 of issue 12, the Spark Connect half (the SQL half is
 * {@code JdbcSinkTest.theSameWriteFromSql}): a Spark Connect client writes
 * {@code df.write().format("resilient").option("sink", "http")...save()} to the flaky simulator and
 * every row's effect is made exactly once (counted at the simulator), poison rows are dead-lettered
 * (delivered + dead-lettered = input), and an option map with several errors comes back to the
 * client as the sink's validation error naming each option, without the secret, before any task.
 *
 * <p>The server: this JVM's {@code local[2]} session with {@code spark.plugins =} our plugin and
 * {@code org.apache.spark.sql.connect.SparkConnectPlugin} (the Connect server jar from Maven, a test
 * dependency), gRPC bound to 127.0.0.1 on a free port. As a user deploys it: our jar on the
 * server's classpath, the plugin in {@code spark.plugins}, nothing else.
 *
 * <p>The client: {@code src/test/connect-client/ConnectWriteClient.java}, run in a JVM of its own as
 * a single source file ({@code java -cp <client classpath> ConnectWriteClient.java ...}, compiled by
 * the launcher), because the Connect client and classic Spark share package names and cannot share
 * a classpath. Its classpath is the shaded {@code spark-connect-client-jvm} jar (copied by this
 * module's pom into {@code target/connect-client}, never on the test classpath) plus the few jars it
 * needs from the test classpath ({@link #CLIENT_JARS}). No resiliencekit class is on it: the client
 * knows only the format's name and its string options.
 *
 * <p>Two gaps of the Maven repository, worked around (Maven Central has neither
 * {@code spark-connect-shims_2.13} nor the client jar's dependency POMs): the client builds its
 * session with {@code org.apache.spark.sql.connect.SparkSession.builder()} (the generic
 * {@code org.apache.spark.sql.SparkSession.builder()} needs the shims' stub {@code SparkContext}; a
 * Scala or Java client built with Spark's own client packaging can use either), and the server has
 * no spark-mllib, so the client's {@code stop()} logs a warning ("Failed to release session:
 * org/apache/spark/ml/util/ConnectHelper") after the session is closed; it changes nothing here.
 *
 * <p>Settings and why: {@code partition.continueOnError + deadLetterPath} (poison rows must not fail
 * the job), {@code partition.runId}, {@code keyColumn = id} (the Idempotency-Key is the row's id);
 * retries, timeouts and the idempotency store (the driver's ledger) at their documented defaults.
 */
class SparkConnectSinkTest {

    static final int ROWS = 200;
    static final Set<String> POISON = Set.of("r-17", "r-150");
    static final String SECRET = "s3cr3t-Connect-0077";

    /**
     * File-name prefixes of the jars the Connect JVM client needs besides its own shaded jar: Scala,
     * and what its (shaded-in) spark-sql-api needs: spark-common-utils, spark-tags, JSON4S and
     * Jackson, SLF4J over Log4j 2 (Spark's logging).
     */
    static final List<String> CLIENT_JARS = List.of("scala-library-", "scala-reflect-", "spark-common-utils_",
            "spark-common-utils-java_", "spark-tags_", "json4s-", "jackson-core-", "jackson-databind-",
            "jackson-annotations-", "jackson-module-scala_", "paranamer-", "commons-lang3-", "slf4j-api-",
            "log4j-api-", "log4j-core-", "log4j-slf4j2-impl-");

    static final int PORT = freePort();

    @RegisterExtension
    static final SparkSessionExtension SPARK = SparkSessionExtension.local()
            .conf("spark.plugins", ResilienceCluster.PLUGIN_CLASS + ",org.apache.spark.sql.connect.SparkConnectPlugin")
            .conf("spark.connect.grpc.binding.address", "127.0.0.1")
            .conf("spark.connect.grpc.binding.port", String.valueOf(PORT));

    /** Launch times (epoch ms) of every task the server ran. */
    static final Queue<Long> TASK_LAUNCHES = new ConcurrentLinkedQueue<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void recordTaskLaunches() {
        SPARK.spark().sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart taskStart) {
                TASK_LAUNCHES.add(taskStart.taskInfo().launchTime());
            }
        });
    }

    @Test
    void aConnectClientsWriteIsExactlyOnceAndBadOptionsComeBackAsTheSinksValidationError() throws Exception {
        Path dlq = tmp.resolve("dlq");
        try (FlakyApiServer server = FlakyApiServer.builder().seed(17).randomAcceptedThenReset(0.05).randomUnavailable(0.05).poisonIds(POISON).start()) {
            List<String> out = runClient("sc://127.0.0.1:" + PORT, server.baseUri().toString(), dlq.toString(),
                    String.valueOf(ROWS), SECRET);

            assertThat(out).as("client output").anyMatch(l -> l.startsWith("WRITE ok"));
            List<DeadLetter> letters = DeadLetterFiles.read(dlq.toString());
            Set<String> dead = letters.stream().map(l -> String.valueOf(l.payload()))
                    .map(p -> p.replaceAll(".*\"id\":\"(r-[0-9]+)\".*", "$1"))
                    .collect(Collectors.toCollection(TreeSet::new));
            Set<String> delivered = IntStream.range(0, ROWS).mapToObj(i -> "r-" + i).filter(id -> !POISON.contains(id))
                    .collect(Collectors.toSet());
            System.out.printf("connect write: received %d, accepted %d, faults %s, dead letters %s%n",
                    server.receivedCount(), server.acceptedCount(), server.faultCounts(), dead);
            assertThat(dead).as("poison rows are dead-lettered").isEqualTo(POISON);
            assertThat(server.acceptedCount() + letters.size()).as("delivered + dead-lettered = input").isEqualTo(ROWS);
            assertThat(server.effectsPerRecordId().keySet()).as("every other row has its effect").isEqualTo(delivered);
            assertThat(server.effectsPerRecordId().values()).as("each row's effect exactly once").containsOnly(1);
            assertThat(server.faultCount(Fault.ACCEPTED_THEN_RESET)).as("effects whose answer was lost, retried")
                    .isPositive();

            String bad = out.stream().filter(l -> l.startsWith("BAD-OPTIONS ")).findFirst().orElseThrow();
            long failedAt = Long.parseLong(bad.replaceAll("^BAD-OPTIONS at=([0-9]+) .*", "$1"));
            assertThat(TASK_LAUNCHES).as("tasks (of the good write) launched").isNotEmpty()
                    .allSatisfy(t -> assertThat(t).as("no task before the bad write failed").isGreaterThan(failedAt));
            assertThat(bad).as("the sink's validation error, through Connect")
                    .contains("IllegalArgumentException")   // Connect's client class for the server's ConfigException
                    .contains("configuration problems").contains("jdbc.url").contains("jdbc.table")
                    .contains("retry.maxAttempts").containsIgnoringCase("rateLimit.rat").contains("did you mean rateLimit.rate")
                    .doesNotContain(SECRET);
        }
    }

    /** Runs ConnectWriteClient in a JVM of its own; returns its standard output, fails on a non-zero exit. */
    private List<String> runClient(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(SparkClusters.jvmOpens().trim().split("\\s+")));
        command.addAll(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", clientClasspath(),
                requiredPath("connect.client.source").toString()));
        command.addAll(List.of(args));
        Path stdout = tmp.resolve("client.out");
        Path stderr = tmp.resolve("client.err");
        Process client = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        boolean exited = client.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
            client.destroyForcibly();
        }
        List<String> out = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        out.forEach(l -> System.out.println("client: " + l));
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        if (!exited || client.exitValue() != 0) {
            System.out.println("client stderr:\n" + err);
        }
        assertThat(exited).as("the client finished within 180 s").isTrue();
        assertThat(client.exitValue()).as("client exit code (its stderr is printed above)").isZero();
        return out;
    }

    /** The shaded Connect client jar from target/connect-client plus {@link #CLIENT_JARS} from the test classpath. */
    static String clientClasspath() throws IOException {
        List<String> cp = new ArrayList<>();
        try (Stream<Path> jars = Files.list(requiredPath("connect.client.dir"))) {
            jars.filter(p -> p.getFileName().toString().startsWith("spark-connect-client-jvm_"))
                    .forEach(p -> cp.add(p.toString()));
        }
        assertThat(cp).as("the Connect client jar in " + System.getProperty("connect.client.dir")).hasSize(1);
        for (Path p : SparkClusters.testClasspath()) {
            String name = p.getFileName().toString();
            if (name.endsWith(".jar") && CLIENT_JARS.stream().anyMatch(name::startsWith)) {
                cp.add(p.toString());
            }
        }
        return String.join(File.pathSeparator, cp);
    }

    /** A path the module's surefire configuration passes as a system property. */
    private static Path requiredPath(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank() || !Files.exists(Path.of(v))) {
            throw new IllegalStateException("system property " + property + " must name an existing path (it is '" + v
                    + "'); resilience-spark's pom sets it and copies the Connect client jar: run the test through"
                    + " Maven (mvn -pl resilience-spark -am test -Dtest=SparkConnectSinkTest)");
        }
        return Path.of(v);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
