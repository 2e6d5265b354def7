package io.resiliencekit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The README's example job deployed the way a user deploys it: {@code spark-submit --packages} on
 * a Spark distribution, {@code local-cluster[2,1,1024]} (a standalone master, two workers, two
 * executor JVMs), nothing but Spark's defaults otherwise (class-loading order, Java options).
 *
 * <ul>
 *   <li>{@code SPARK_HOME} is laid out as a distribution: a {@code RELEASE} file and {@code jars/}
 *       holding Spark's own runtime jars only (the closure of Spark's published sql, hive, mllib,
 *       streaming and yarn modules, copied by this module's pom; no jar of ours and none of our
 *       dependencies), plus {@code conf/log4j2.properties} so the plugin's start lines are logged.</li>
 *   <li>What a release publishes (parent POM, resilience-core, -testkit, -spark: POMs and the jars
 *       this build packaged) goes into a Maven repository; {@code --packages} resolves our artifacts
 *       and their dependencies from it through Ivy, as on a cluster, and Spark adds them to the
 *       driver's and the executors' user class loaders, below Spark's own jars.</li>
 *   <li>The command is the one {@code bin/spark-submit} runs: Spark's launcher
 *       ({@code org.apache.spark.launcher.Main}) builds it from {@code SPARK_HOME}, in the
 *       environment {@code bin/load-spark-env.sh} would set ({@code SPARK_HOME},
 *       {@code SPARK_SCALA_VERSION}); no {@code --add-opens} flag is passed by hand.</li>
 * </ul>
 *
 * Passes when the job exits 0, every record is delivered once or dead-lettered, the plugin started
 * on the driver and in both executor JVMs, and the jar Ivy resolved is this build's resilience-spark
 * jar byte for byte.
 */
class DeploymentIT {

    private static final String GROUP = "io.resiliencekit";
    private static final String MASTER = "local-cluster[2,1,1024]";
    private static final int RECORDS = 1500;

    @Test
    void theExampleRunsOnLocalClusterFromADistributionWithOurArtifactsAddedByPackages() throws Exception {
        String version = Jars.required("project.version");
        String spark = Jars.required("expected.spark.version");
        String scala = Jars.required("expected.scala.binary.version");
        Path dist = Path.of(Jars.required("spark.dist")).toAbsolutePath();
        Path root = Path.of(Jars.required("reactor.root")).toRealPath();
        Path work = Path.of(Jars.required("deploy.work")).toAbsolutePath();
        deleteRecursively(work);
        deleteRecursively(dist.resolve("work"));
        Files.createDirectories(work);

        // 1. the distribution
        List<String> jars = fileNames(dist.resolve("jars"));
        assertTrue(jars.contains("spark-core_" + scala + "-" + spark + ".jar"), "Spark " + spark + " in " + dist.resolve("jars"));
        List<String> ours = jars.stream().filter(j -> j.startsWith("resilience-") || j.startsWith("examples-")
                || j.startsWith("failsafe-") || j.startsWith("caffeine-")).collect(Collectors.toList());
        assertEquals(List.of(), ours, "a distribution's jars/ holds Spark's own jars only");
        Files.writeString(dist.resolve("RELEASE"), "Spark " + spark + " (Scala " + scala + "), laid out by DeploymentIT"
                + " from Spark's published modules\n");
        Files.createDirectories(dist.resolve("conf"));
        Files.writeString(dist.resolve("conf/log4j2.properties"), String.join("\n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.stderr.ref = console",
                "appender.console.type = Console",
                "appender.console.name = console",
                "appender.console.target = SYSTEM_ERR",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n",
                "logger.rk.name = io.resiliencekit",
                "logger.rk.level = info", ""));

        // 2. what a release uploads, in a Maven repository
        Path repo = work.resolve("repo");
        publish(repo, "resiliencekit-parent", version, root.resolve("pom.xml"), null);
        Path sparkJar = null;
        for (String module : List.of("resilience-core", "resilience-testkit", "resilience-spark")) {
            Path jar = root.resolve(module).resolve("target").resolve(module + "-" + version + ".jar");
            publish(repo, module, version, root.resolve(module).resolve("pom.xml"), jar);
            sparkJar = jar;
        }
        Path ivySettings = work.resolve("ivysettings.xml");
        Files.writeString(ivySettings, ivySettings(repo, Path.of(Jars.required("maven.local.repository"))));

        // 3. spark-submit, as bin/spark-submit runs it
        Path app = root.resolve("examples/target/examples-" + version + ".jar");
        List<String> submitArgs = List.of(
                "--master", MASTER,
                "--class", "io.resiliencekit.examples.QuickStart",
                "--packages", GROUP + ":resilience-spark:" + version + "," + GROUP + ":resilience-testkit:" + version,
                "--conf", "spark.jars.ivySettings=" + ivySettings,
                "--conf", "spark.jars.ivy=" + work.resolve("ivy"),
                "--conf", "spark.executor.memory=512m",
                app.toString(),
                "records=" + RECORDS, "rate=1000", "burst=100", "partitions=4", "poisonEvery=500", "outage=1");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPARK_HOME", dist.toString());
        env.put("SPARK_SCALA_VERSION", scala);
        env.put("SPARK_LOCAL_IP", "127.0.0.1");   // this machine's name may not resolve; any cluster sets its own
        env.put("JAVA_HOME", System.getProperty("java.home"));
        List<String> command = launcherCommand(dist, env, submitArgs);
        Path log = work.resolve("spark-submit.log");
        Files.writeString(work.resolve("command.txt"), String.join("\n", command) + "\n");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process job = pb.start();
        if (!job.waitFor(6, TimeUnit.MINUTES)) {
            job.descendants().forEach(ProcessHandle::destroyForcibly);
            job.destroyForcibly();
            fail("spark-submit did not finish within 6 minutes; see " + log);
        }
        String out = Files.readString(log);
        assertEquals(0, job.exitValue(), "spark-submit exit code; see " + log + "\n" + tail(out));

        // 4. what the job did
        assertTrue(out.contains("Spark " + MASTER), "the job ran on " + MASTER + "\n" + tail(out));
        assertTrue(out.contains(String.format("delivered + dead-lettered %,d == input", RECORDS)), tail(out));
        assertTrue(out.contains("duplicates seen by API    0 duplicate effects"), tail(out));
        assertTrue(out.contains("resiliencekit plugin started on the driver"), "plugin's driver side\n" + tail(out));
        List<Path> executorLogs = executorStderr(dist.resolve("work"));
        long withPlugin = executorLogs.stream().filter(p -> read(p).contains("resiliencekit plugin started on executor")).count();
        assertEquals(2, withPlugin, "executor JVMs whose log shows the plugin's executor side: " + executorLogs);

        // 5. the bytes that ran are the bytes this build packaged
        Path resolved = work.resolve("ivy/jars/" + GROUP + "_resilience-spark-" + version + ".jar");
        assertTrue(Files.isRegularFile(resolved), "--packages put resilience-spark at " + resolved);
        String sha = Jars.sha256(resolved);
        assertEquals(Jars.sha256(Path.of(Jars.required("resilience.spark.jar")).toRealPath()), sha);
        assertEquals(Jars.sha256(sparkJar), sha);
        String line = "sha256=" + sha + " spark=" + spark + " scala=" + scala + " deployed=spark-submit --packages on " + MASTER;
        System.out.println("resilience-spark jar: " + line);
        Files.writeString(Path.of(Jars.required("compat.record")).resolveSibling("resilience-spark-jar-deployed.txt"), line + "\n");
    }

    /** Asks Spark's launcher for the driver command, exactly as {@code bin/spark-class} does. */
    private static List<String> launcherCommand(Path dist, Map<String, String> env, List<String> submitArgs) throws Exception {
        List<String> launcher = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", dist.resolve("jars") + "/*", "org.apache.spark.launcher.Main",
                "org.apache.spark.deploy.SparkSubmit"));
        launcher.addAll(submitArgs);
        ProcessBuilder pb = new ProcessBuilder(launcher).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            out = buf.toByteArray();
        }
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), "Spark's launcher did not answer");
        assertEquals(0, p.exitValue(), "Spark's launcher failed for " + submitArgs);
        // NUL-separated arguments, as bin/spark-class reads them (it skips what the launcher prints before)
        List<String> command = Arrays.stream(new String(out, StandardCharsets.UTF_8).split("\0"))
                .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toList());
        assertTrue(command.size() > 3 && command.contains("org.apache.spark.deploy.SparkSubmit"), "launcher said " + command);
        return command;
    }

    private static void publish(Path repo, String artifactId, String version, Path pom, Path jar) throws IOException {
        Path dir = repo.resolve(GROUP.replace('.', '/')).resolve(artifactId).resolve(version);
        Files.createDirectories(dir);
        Files.copy(pom, dir.resolve(artifactId + "-" + version + ".pom"), StandardCopyOption.REPLACE_EXISTING);
        if (jar != null) {
            assertTrue(Files.isRegularFile(jar), jar + " (run the build to the verify phase)");
            Files.copy(jar, dir.resolve(artifactId + "-" + version + ".jar"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Our artifacts from the release repository first, third-party ones from the local Maven
     * repository (the build has already downloaded them), else from Maven Central.
     */
    private static String ivySettings(Path releaseRepo, Path localMaven) {
        return "<ivysettings>\n"
                + "  <settings defaultResolver=\"release-then-maven\"/>\n"
                + "  <resolvers>\n"
                + "    <chain name=\"release-then-maven\" returnFirst=\"true\">\n"
                + "      <ibiblio name=\"release\" m2compatible=\"true\" root=\"" + releaseRepo.toUri() + "\"/>\n"
                + "      <ibiblio name=\"local-maven\" m2compatible=\"true\" root=\"" + localMaven.toUri() + "\"/>\n"
                + "      <ibiblio name=\"central\" m2compatible=\"true\"/>\n"
                + "    </chain>\n"
                + "  </resolvers>\n"
                + "</ivysettings>\n";
    }

    private static List<Path> executorStderr(Path workDir) throws IOException {
        if (!Files.isDirectory(workDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(workDir)) {
            return s.filter(p -> p.getFileName().toString().equals("stderr")).sorted().collect(Collectors.toList());
        }
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(x);
            }
        }
    }
}
