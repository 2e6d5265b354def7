package io.resiliencekit.spark.compat;

/**
 * Deliberately uses Scala types the way a careless change to resilience-spark could, so that
 * {@link ScalaReferencesTest} can show the check catches each one.
 */
final class PlantedScalaReferences {

    private PlantedScalaReferences() {
    }

    /** {@code scala.Option}: its companion and methods differ between 2.12 and 2.13. */
    static Object option(String s) {
        return scala.Option.apply(s);
    }

    /** An allowed class ({@code scala.Tuple2}), but a member outside the allow-list. */
    static Object swapped() {
        return new scala.Tuple2<>("a", "b").swap();
    }

    /** What DriverSide does: the allowed accessors only. */
    static String allowed(scala.Tuple2<String, String> kv) {
        return kv._1() + "=" + kv._2();
    }
}
