package io.resiliencekit;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * The boundaries of resilience-core and resilience-spark, enforced on every build (this module sees
 * both): no package cycles (a package and its {@code internal} are one slice); no class uses another
 * module's {@code internal}; the vocabulary package ({@code io.resiliencekit}: CallContext, the
 * exceptions) depends on nothing; events depend only on the vocabulary; no Failsafe type in a public
 * signature outside the {@code failsafe} interop package; no static mutable state but the runtime's
 * one default holder.
 */
class ArchitectureTest {

    static final JavaClasses ALL = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.resiliencekit")
        .that(resideOutsideOfPackages("io.resiliencekit.examples..", "io.resiliencekit.spark.shaded.."));

    static final JavaClasses CORE = ALL.that(resideOutsideOfPackage("io.resiliencekit.spark.."));

    /** A package with its {@code internal} sub-package is one slice; the root package is the vocabulary slice. */
    static final SliceAssignment PACKAGES = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            String p = c.getPackageName();
            if (!p.startsWith("io.resiliencekit")) {
                return SliceIdentifier.ignore();
            }
            return SliceIdentifier.of(p.endsWith(".internal") ? p.substring(0, p.length() - ".internal".length()) : p);
        }

        @Override
        public String getDescription() {
            return "packages of io.resiliencekit (with their internal sub-packages)";
        }
    };

    @Test
    void noPackageCycles() {
        slices().assignedFrom(PACKAGES).should().beFreeOfCycles().check(ALL);
    }

    @Test
    void noClassUsesAnotherModulesInternals() {
        noClasses().that().resideInAPackage("io.resiliencekit.spark..")
            .should().dependOnClassesThat(resideInAPackage("io.resiliencekit..internal..")
                .and(not(resideInAPackage("io.resiliencekit.spark.."))))
            .check(ALL);
    }

    @Test
    void theVocabularyDependsOnNothing() {
        classes().that().resideInAPackage("io.resiliencekit")
            .should().onlyDependOnClassesThat(resideInAnyPackage("java..", "io.resiliencekit"))
            .check(CORE);
    }

    @Test
    void eventsDependOnlyOnTheVocabulary() {
        classes().that().resideInAPackage("io.resiliencekit.event")
            .should().onlyDependOnClassesThat(resideInAnyPackage("java..", "io.resiliencekit", "io.resiliencekit.event",
                "org.slf4j.."))
            .check(CORE);
    }

    @Test
    void theSpiDependsOnlyOnTheVocabularyEventsAndTime() {
        classes().that().resideInAPackage("io.resiliencekit.spi")
            .should().onlyDependOnClassesThat(resideInAnyPackage("java..", "io.resiliencekit", "io.resiliencekit.spi",
                "io.resiliencekit.event", "io.resiliencekit.time"))
            .check(CORE);
    }

    @Test
    void noFailsafeTypeInAPublicSignatureOutsideTheInteropPackage() {
        DescribedPredicate<JavaClass> failsafe = resideInAPackage("dev.failsafe..");
        methods().that().arePublic().and().areDeclaredInClassesThat(not(resideInAPackage("io.resiliencekit.failsafe")))
            .should().haveRawReturnType(not(failsafe))
            .andShould(new ArchCondition<>("take no Failsafe parameter") {
                @Override
                public void check(com.tngtech.archunit.core.domain.JavaMethod m, ConditionEvents events) {
                    m.getRawParameterTypes().stream().filter(failsafe).forEach(t ->
                        events.add(SimpleConditionEvent.violated(m, m.getFullName() + " takes " + t.getName())));
                }
            })
            .allowEmptyShould(true)
            .check(CORE);
        classes().that().arePublic().and().resideOutsideOfPackage("io.resiliencekit.failsafe")
            .should().notBeAssignableTo(resideInAPackage("dev.failsafe.."))
            .check(CORE);
        noClasses().that().resideOutsideOfPackage("io.resiliencekit.failsafe")
            .should().dependOnClassesThat().resideInAPackage("dev.failsafe..")
            .because("the engine makes every decision itself; Failsafe is for interop only")
            .check(CORE);
    }

    @Test
    void noStaticMutableStateButTheRuntimesDefaultHolder() {
        fields().that().areStatic()
            .and().areDeclaredInClassesThat().resideInAPackage("io.resiliencekit..")
            .should(notHoldMutableState())
            .check(ALL);
    }

    /** Our types whose instances are immutable values, fine as static constants (checked by review). */
    static final java.util.Set<String> IMMUTABLE_VALUES = java.util.Set.of("CallContext", "Classification", "ClaimResult",
        "SourcePosition", "FailureClassifier", "JavaSerialization", "ResilienceRuntime", "ServiceKey",
        // option schemas: declared in their config class's static initializer, frozen when the schema is built
        // (OptionSchemaTest pins that nothing can change them after)
        "OptionSchema", "Option", "Family", "Section", "Declarer", "OptionType");

    /**
     * Static fields must be final and hold no container of shared state (maps, collections, atomics,
     * adders, executors). Exempt: {@code ResilienceRuntime.SHARED} (the one default holder),
     * {@link ThreadLocal}s (per-thread context, not shared), and arrays of constants.
     */
    static ArchCondition<JavaField> notHoldMutableState() {
        return new ArchCondition<>("be final and hold no mutable shared state") {
            @Override
            public void check(JavaField f, ConditionEvents events) {
                if (f.getOwner().getName().equals("io.resiliencekit.policy.ResilienceRuntime") && f.getName().equals("SHARED")) {
                    return;
                }
                if (f.getOwner().isEnum() && f.getRawType().equals(f.getOwner())) {
                    return; // enum constants
                }
                if (f.getName().startsWith("$") || f.getModifiers().contains(JavaModifier.SYNTHETIC)) {
                    return;
                }
                if (!f.getModifiers().contains(JavaModifier.FINAL)) {
                    events.add(SimpleConditionEvent.violated(f, f.getFullName() + " is static and not final"));
                    return;
                }
                JavaClass t = f.getRawType();
                if (t.isAssignableTo(ThreadLocal.class) || t.isArray()) {
                    return; // per-thread context; arrays of constants (an empty listener array)
                }
                if (t.getPackageName().startsWith("io.resiliencekit") && !t.isEnum() && !IMMUTABLE_VALUES.contains(t.getSimpleName())) {
                    events.add(SimpleConditionEvent.violated(f, f.getFullName() + " is a static instance of "
                        + t.getName() + ", which is not a known immutable value: a registry belongs to a ResilienceRuntime"));
                    return;
                }
                boolean container = t.isAssignableTo(Map.class) || t.isAssignableTo(Collection.class);
                if (container && buildsMutableContainers(f.getOwner())
                    || t.getPackageName().equals("java.util.concurrent.atomic") || t.isAssignableTo(LongAdder.class)
                    || t.isAssignableTo(ExecutorService.class)) {
                    events.add(SimpleConditionEvent.violated(f, f.getFullName() + " holds shared mutable state ("
                        + t.getName() + "); it belongs to a ResilienceRuntime"));
                }
            }
        };
    }

    /**
     * True if the class's static initializer makes a mutable collection (a {@code new HashMap},
     * {@code ConcurrentHashMap.newKeySet()}, {@code Collections.synchronizedX}...): its static
     * container fields then hold state, where {@code Set.of(...)} constants do not.
     */
    private static boolean buildsMutableContainers(JavaClass owner) {
        return owner.getStaticInitializer().map(init ->
            init.getConstructorCallsFromSelf().stream().anyMatch(c -> isMutableContainer(c.getTargetOwner()))
                || init.getMethodCallsFromSelf().stream().anyMatch(c -> c.getName().equals("newKeySet")
                    || c.getName().startsWith("synchronized") || c.getName().equals("newSetFromMap")))
            .orElse(false);
    }

    private static boolean isMutableContainer(JavaClass c) {
        return c.getPackageName().startsWith("java.util") && (c.isAssignableTo(Map.class) || c.isAssignableTo(Collection.class));
    }
}
