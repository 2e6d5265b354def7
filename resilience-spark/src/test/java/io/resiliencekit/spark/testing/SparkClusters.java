package io.resiliencekit.spark.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Starts real Spark for tests: {@code local[2]} (one JVM) and {@code local-cluster[2,1,1024]} (a
 * standalone master and two workers inside the test JVM, each launching a separate executor JVM).
 *
 * <pre>{@code
 * SparkSession spark = SparkClusters.localCluster("my-test", Map.of("spark.plugins", "..."));
 * try { ... } finally { SparkClusters.stop(spark); }
 * }</pre>
 *
 * <p>Most tests should use {@link SparkSessionExtension}: {@code local()} starts a session per test
 * class, {@code localCluster()} takes the JVM's shared local-cluster ({@link #sharedLocalCluster}),
 * which test classes asking for the same conf reuse instead of starting their own (8-10 s each).
 *
 * <p>How local-cluster finds its classes: each worker builds the executor command from
 * {@code $SPARK_HOME/jars/*} (Spark's launcher {@code WorkerCommandBuilder}), and needs
 * {@code SPARK_SCALA_VERSION} to skip looking for a Spark source build. The surefire configuration
 * of this module sets {@code SPARK_HOME=target/spark-home}, {@code SPARK_SCALA_VERSION=2.13} and
 * {@code SPARK_LOCAL_IP=127.0.0.1}; {@link #sparkHome()} fills {@code jars/} with links to every
 * jar of the test classpath plus a jar of every classes directory on it (this module's
 * {@code target/classes} and {@code target/test-classes}, and reactor modules'). To run such tests
 * from an IDE, set the same three environment variables on the run configuration.
 */
public final class SparkClusters {

    /** Executors started by {@link #localCluster}. */
    public static final int CLUSTER_EXECUTORS = 2;

    /** The local-cluster master URL: 2 workers, 1 core and 1024 MB each. */
    public static final String LOCAL_CLUSTER_MASTER = "local-cluster[2,1,1024]";

    /** Java 17 flags Spark needs; surefire passes the parent pom's value, this is the fallback. */
    private static final String DEFAULT_OPENS =
            "--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED"
                    + " --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED"
                    + " --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED"
                    + " --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED"
                    + " --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED"
                    + " --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED"
                    + " --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false";

    private static final Duration EXECUTOR_WAIT = Duration.ofSeconds(60);

    private static Path builtHome;

    /** The JVM's shared local-cluster and the conf it was started with (one SparkContext per JVM). */
    private static SparkSession shared;
    private static Map<String, String> sharedConf;

    private SparkClusters() {
    }

    /** A {@code local[2]} session with test-friendly settings plus {@code extraConf}. */
    public static SparkSession local(String appName, Map<String, String> extraConf) {
        stopShared();
        SparkConf conf = baseConf(appName, "local[2]");
        extraConf.forEach(conf::set);
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * A {@code local-cluster[2,1,1024]} session (two executor JVMs of 512 MB) plus {@code extraConf};
     * returns once both executors have registered, so the first job already spreads over both.
     */
    public static SparkSession localCluster(String appName, Map<String, String> extraConf) {
        return localCluster(appName, CLUSTER_EXECUTORS, extraConf);
    }

    /**
     * A {@code local-cluster[n,1,1024]} session ({@code executors} executor JVMs of 512 MB) plus
     * {@code extraConf}, once they have all registered. One executor is enough where a test needs a JVM
     * apart from the driver but not two of them (and saves a JVM start on a 2-core CI machine).
     */
    public static SparkSession localCluster(String appName, int executors, Map<String, String> extraConf) {
        stopShared();
        return startLocalCluster(appName, executors, extraConf);
    }

    /**
     * The JVM's shared {@code local-cluster[2,1,1024]} session with {@code extraConf}: the running one
     * if it was started with the same conf (once both executors are registered again: a class before
     * may have killed one, and its worker starts a replacement), else the running one is stopped and
     * a new one started. Not to be stopped by the caller; {@link SharedClusterListener} stops it before
     * a test class that does not use it, and at the end of the run. What a class leaves in the shared
     * JVMs (limiters, breakers and policies by name, driver services, ledger keys) stays there for
     * the next: every class must use names of its own.
     */
    public static synchronized SparkSession sharedLocalCluster(Map<String, String> extraConf) {
        Map<String, String> key = new TreeMap<>(extraConf);
        if (shared != null && !shared.sparkContext().isStopped() && key.equals(sharedConf)) {
            awaitExecutors(shared, CLUSTER_EXECUTORS, EXECUTOR_WAIT);
            return shared;
        }
        stopShared();
        shared = startLocalCluster("shared local-cluster " + key, CLUSTER_EXECUTORS, extraConf);
        sharedConf = key;
        return shared;
    }

    /** Stops the shared local-cluster, if one runs. */
    public static synchronized void stopShared() {
        SparkSession s = shared;
        shared = null;
        sharedConf = null;
        if (s != null) {
            stop(s);
        }
    }

    private static SparkSession startLocalCluster(String appName, int executors, Map<String, String> extraConf) {
        Path home = sparkHome();
        SparkConf conf = baseConf(appName, "local-cluster[" + executors + ",1,1024]");
        conf.set("spark.executor.memory", "512m");
        conf.set("spark.executor.extraJavaOptions", jvmOpens() + " -XX:+UseSerialGC -Xss1m " + jvmFlags());
        // The worker reads these from its own environment too; set for the executor's launcher as well.
        conf.set("spark.executorEnv.SPARK_SCALA_VERSION", scalaVersion());
        conf.set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
        conf.set("spark.executorEnv.SPARK_HOME", home.toString());
        extraConf.forEach(conf::set);
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        try {
            awaitExecutors(spark, executors, EXECUTOR_WAIT);
        } catch (RuntimeException | Error e) {
            stop(spark);
            throw e;
        }
        return spark;
    }

    /** Stops the session and clears Spark's active/default session so the next class starts fresh. */
    public static void stop(SparkSession spark) {
        if (spark != null) {
            spark.stop();
        }
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /** Blocks until {@code count} executors (not counting the driver) are registered. */
    public static void awaitExecutors(SparkSession spark, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            // getExecutorInfos includes the driver
            int executors = spark.sparkContext().statusTracker().getExecutorInfos().length - 1;
            if (executors >= count) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + executors + " of " + count
                        + " executors registered within " + timeout + "; see executor logs under "
                        + sparkHome().resolve("work"));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for executors", e);
            }
        }
    }

    /** The build's {@code spark.test.jvm.flags} (C1 only, see the parent pom) for the executors; none outside the build. */
    static String jvmFlags() {
        String v = System.getProperty("spark.test.jvm.flags");
        return v == null ? "" : v;
    }

    /** The Java 17 {@code --add-opens} flags for Spark JVMs. */
    public static String jvmOpens() {
        String v = System.getProperty("spark.test.jvm.opens");
        return v == null || v.isBlank() ? DEFAULT_OPENS : v;
    }

    private static String scalaVersion() {
        String v = System.getenv("SPARK_SCALA_VERSION");
        return v == null || v.isBlank() ? "2.13" : v;
    }

    private static SparkConf baseConf(String appName, String master) {
        return new SparkConf()
                .setMaster(master)
                .setAppName(appName)
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                .set("spark.sql.shuffle.partitions", "4")
                .set("spark.default.parallelism", "4")
                .set("spark.driver.extraJavaOptions", jvmOpens())
                .set("spark.network.timeout", "60s")
                .set("spark.executor.heartbeatInterval", "2s")
                .set("spark.sql.adaptive.enabled", "false");
    }

    /**
     * Builds (once per JVM) the folder named by {@code $SPARK_HOME}: {@code jars/} holds a link to
     * every jar of the test classpath and a jar made from every classes directory on it.
     */
    public static synchronized Path sparkHome() {
        if (builtHome != null) {
            return builtHome;
        }
        String env = System.getenv("SPARK_HOME");
        if (env == null || env.isBlank()) {
            throw new IllegalStateException("local-cluster tests need SPARK_HOME (a scratch folder, e.g."
                    + " target/spark-home), SPARK_SCALA_VERSION=2.13 and SPARK_LOCAL_IP=127.0.0.1 in the"
                    + " environment of the test JVM; resilience-spark's surefire configuration sets them");
        }
        Path home = Path.of(env).toAbsolutePath();
        try {
            Path jars = home.resolve("jars");
            deleteRecursively(jars);
            Files.createDirectories(jars);
            int i = 0;
            for (Path entry : testClasspath()) {
                String name = String.format("%03d-%s", i++, entry.getFileName());
                if (Files.isDirectory(entry)) {
                    jarDirectory(entry, jars.resolve(name + ".jar"));
                } else if (Files.isRegularFile(entry) && entry.toString().endsWith(".jar")) {
                    Files.createSymbolicLink(jars.resolve(name), entry.toAbsolutePath());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build SPARK_HOME at " + home, e);
        }
        builtHome = home;
        return home;
    }

    /** The real test classpath, also when surefire runs from a manifest-only jar. */
    public static List<Path> testClasspath() throws IOException {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        List<Path> out = new ArrayList<>();
        for (String part : cp.split(java.io.File.pathSeparator)) {
            if (part.isBlank()) {
                continue;
            }
            Path p = Path.of(part).toAbsolutePath();
            if (!Files.exists(p)) {
                continue;
            }
            if (p.getFileName().toString().startsWith("surefirebooter") && Files.isRegularFile(p)) {
                out.addAll(manifestClassPath(p));
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private static List<Path> manifestClassPath(Path jar) throws IOException {
        List<Path> out = new ArrayList<>();
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (cp == null) {
                return out;
            }
            for (String url : cp.trim().split("\\s+")) {
                Path p = Path.of(java.net.URI.create(url.startsWith("file:") ? url : "file:" + url));
                if (Files.exists(p)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static void jarDirectory(Path dir, Path target) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream os = Files.newOutputStream(target);
             JarOutputStream jar = new JarOutputStream(os, manifest)) {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    if (!d.equals(dir)) {
                        jar.putNextEntry(new JarEntry(dir.relativize(d).toString().replace('\\', '/') + "/"));
                        jar.closeEntry();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    String name = dir.relativize(f).toString().replace('\\', '/');
                    if (name.equals("META-INF/MANIFEST.MF")) {
                        return FileVisitResult.CONTINUE;
                    }
                    jar.putNextEntry(new JarEntry(name));
                    Files.copy(f, jar);
                    jar.closeEntry();
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(x);
            }
        }
    }

    /** Helper for building a conf map in order. */
    public static Map<String, String> conf(String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("conf needs key/value pairs");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
