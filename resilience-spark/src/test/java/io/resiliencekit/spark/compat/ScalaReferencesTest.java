package io.resiliencekit.spark.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

/** The check itself: it must flag a planted {@code scala.Option}, and pass what the allow-list permits. */
class ScalaReferencesTest {

    private static final JavaClasses PLANTED = new ClassFileImporter().importClasses(PlantedScalaReferences.class);

    @Test
    void plantedScalaOptionIsAViolationNamingTheClassAndTheMethod() {
        assertThat(ScalaReferences.of(PLANTED).violations())
                .anySatisfy(v -> assertThat(v).startsWith("scala.Option").contains("PlantedScalaReferences.option("));
    }

    @Test
    void anAllowedClassUsedThroughAMemberOutsideTheAllowListIsAViolation() {
        assertThat(ScalaReferences.of(PLANTED).violations())
                .anySatisfy(v -> assertThat(v).startsWith("scala.Tuple2#swap()"));
    }

    @Test
    void theAllowedAccessorsAreNotViolations() {
        ScalaReferences refs = ScalaReferences.of(PLANTED);
        assertThat(refs.uses()).containsKeys("scala.Tuple2#_1()", "scala.Tuple2#_2()");
        assertThat(refs.violations()).noneMatch(v -> v.startsWith("scala.Tuple2#_1()") || v.startsWith("scala.Tuple2#_2()")
                || v.startsWith("scala.Tuple2 "));
    }
}
