package io.resiliencekit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The resilience-spark classes this module's tests run come from the jar that resilience-spark
 * packaged in this build, byte for byte, on the Spark and Scala versions the module selects.
 * Writes {@code target/resilience-spark-jar.txt} (hash, Spark, Scala, jar), which {@code .ci/run}
 * compares across all modules.
 */
class SameJarIT {

    @Test
    void resilienceSparkComesFromTheJarThisBuildPackagedOnTheSelectedSpark() throws IOException {
        Path loaded = Jars.jarOf("io/resiliencekit/spark/ResiliencePlugin.class");
        Path built = Path.of(Jars.required("resilience.spark.jar")).toRealPath();
        String sha = Jars.sha256(loaded);
        assertEquals(Jars.sha256(built), sha, "the jar on the classpath (" + loaded + ") must be resilience-spark's packaged jar " + built);

        String spark = Jars.classpathProperties("spark-version-info.properties").getProperty("version");
        String scala = Jars.classpathProperties("library.properties").getProperty("version.number");
        assertEquals(Jars.required("expected.spark.version"), spark, "Spark on the classpath");
        assertTrue(scala.startsWith(Jars.required("expected.scala.binary.version") + "."), "Scala on the classpath: " + scala);

        String line = "sha256=" + sha + " spark=" + spark + " scala=" + scala + " jar=" + loaded.getFileName();
        System.out.println("resilience-spark jar: " + line);
        Files.writeString(Path.of(Jars.required("compat.record")), line + "\n");
    }
}
