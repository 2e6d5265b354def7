package io.resiliencekit.spark.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;

/**
 * Every {@code scala.*} class that compiled classes reference, and where: the types they use
 * directly (fields, signatures, casts, calls, superclasses) and the types in the descriptors of
 * every method, constructor and field of other classes they call or read (a call to a Spark method
 * that takes a {@code scala.Option} names {@code scala.Option} in our bytecode even if our source
 * never does).
 *
 * <pre>{@code
 * JavaClasses classes = new ClassFileImporter().importJar(new JarFile(jar));
 * List<String> problems = ScalaReferences.of(classes).violations();
 * }</pre>
 *
 * <p>One {@code resilience-spark} jar runs on Scala 2.12 and 2.13 only if each Scala member it
 * touches has the same name and descriptor in both scala-library versions. {@link #ALLOWED} lists
 * those, with the reason; everything else under {@code scala.} is a violation.
 */
public final class ScalaReferences {

    /**
     * Scala classes the jar may reference, each with the only members it may touch (empty: the type
     * alone, e.g. in a cast) and why they are binary-identical in Scala 2.12 and 2.13.
     */
    public static final Map<String, Allowed> ALLOWED = Map.of(
            "scala.Tuple2", new Allowed(Set.of("_1()", "_2()"),
                    "SparkConf.getAll() returns Tuple2<String,String>[] (DriverSide reads the whole conf);"
                            + " the generic accessors _1()/_2() return Object in 2.12 and 2.13 alike"));

    /** An allow-list entry: the members that may be used, and why that is safe. */
    public record Allowed(Set<String> members, String why) {
    }

    private final SortedMap<String, SortedSet<String>> uses = new TreeMap<>();

    private ScalaReferences() {
    }

    /** Collects the Scala references of {@code classes}. */
    public static ScalaReferences of(JavaClasses classes) {
        ScalaReferences refs = new ScalaReferences();
        for (JavaClass c : classes) {
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                refs.add(d.getTargetClass(), null, d.getDescription());
            }
            for (JavaAccess<?> access : c.getAccessesFromSelf()) {
                AccessTarget target = access.getTarget();
                String member = target.getName() + (target instanceof AccessTarget.CodeUnitAccessTarget ? "()" : "");
                refs.add(target.getOwner(), member, access.getDescription());
                if (target instanceof AccessTarget.CodeUnitAccessTarget cu) {
                    for (JavaClass p : cu.getRawParameterTypes()) {
                        refs.add(p, null, access.getDescription() + " (parameter type)");
                    }
                    refs.add(cu.getRawReturnType(), null, access.getDescription() + " (return type)");
                } else if (target instanceof AccessTarget.FieldAccessTarget f) {
                    refs.add(f.getRawType(), null, access.getDescription() + " (field type)");
                }
            }
        }
        return refs;
    }

    private void add(JavaClass type, String member, String where) {
        JavaClass base = type.getBaseComponentType();
        String name = base.getName();
        if (name.startsWith("scala.")) {
            uses.computeIfAbsent(member == null ? name : name + "#" + member, k -> new TreeSet<>()).add(where);
        }
    }

    /** Every Scala class or {@code class#member()} referenced, with the places that reference it. */
    public SortedMap<String, SortedSet<String>> uses() {
        return uses;
    }

    /** One message per reference outside {@link #ALLOWED}, naming the class or member and where it is used. */
    public List<String> violations() {
        List<String> out = new ArrayList<>();
        uses.forEach((ref, where) -> {
            int hash = ref.indexOf('#');
            String cls = hash < 0 ? ref : ref.substring(0, hash);
            Allowed allowed = ALLOWED.get(cls);
            boolean ok = allowed != null && (hash < 0 || allowed.members().contains(ref.substring(hash + 1)));
            if (!ok) {
                out.add(ref + " is not on ScalaReferences.ALLOWED (Scala 2.12 and 2.13 may differ there); used by "
                        + String.join("; ", where.size() > 3 ? List.copyOf(where).subList(0, 3) : where)
                        + (where.size() > 3 ? "; and " + (where.size() - 3) + " more" : ""));
            }
        });
        return out;
    }
}
