package io.resiliencekit.spark.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

/**
 * The packaged resilience-spark jar (the bytes that every Spark version in the build runs)
 * references no Scala class or member outside {@link ScalaReferences#ALLOWED}. Runs after
 * {@code package} (failsafe), on the jar itself rather than on {@code target/classes}.
 */
class ScalaReferencesIT {

    @Test
    void theJarReferencesOnlyScalaMembersThatAreTheSameIn212And213() throws IOException {
        Path jar = Path.of(System.getProperty("resilience.spark.jar", "target/resilience-spark.jar"));
        assertThat(jar).as("the packaged resilience-spark jar (system property resilience.spark.jar)").isRegularFile();
        JavaClasses classes;
        try (JarFile jf = new JarFile(jar.toFile())) {
            classes = new ClassFileImporter().importJar(jf);
        }
        assertThat(classes.containPackage("io.resiliencekit.spark")).as("classes found in %s", jar).isTrue();
        ScalaReferences refs = ScalaReferences.of(classes);
        System.out.println("scala references of " + jar.getFileName() + ": " + refs.uses().keySet());
        assertThat(refs.violations()).as("Scala references outside the allow-list in %s", jar).isEmpty();
        // the scan really sees bytecode-level uses: DriverSide reads SparkConf.getAll()'s Tuple2s
        assertThat(refs.uses()).containsKey("scala.Tuple2#_1()");
        assertThat(Files.size(jar)).isPositive();
    }
}
