package io.resiliencekit.spark.testing;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;

import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Stops the shared local-cluster ({@link SparkClusters#sharedLocalCluster}) before a test class that
 * does not take it from a {@code SparkSessionExtension.localCluster()} field, so that class's own
 * {@code SparkSession.builder().getOrCreate()} cannot pick up the shared one, and when the run ends.
 * Registered through {@code META-INF/services}, so it also runs where this module's test-jar runs
 * (spark-compat).
 */
public final class SharedClusterListener implements TestExecutionListener {

    @Override
    public void executionStarted(TestIdentifier test) {
        if (test.isContainer() && test.getSource().orElse(null) instanceof ClassSource source
                && usesSharedCluster(source.getJavaClass()) == null) {
            SparkClusters.stopShared();
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        SparkClusters.stopShared();
    }

    /**
     * The conf of the shared local-cluster {@code testClass} (or a class it is nested in) takes from a
     * static {@link SparkSessionExtension} field; {@code null} if it takes none.
     */
    static Map<String, String> usesSharedCluster(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == SparkSessionExtension.class) {
                    try {
                        f.setAccessible(true);
                        SparkSessionExtension ext = (SparkSessionExtension) f.get(null);
                        if (ext != null && ext.sharedClusterConf() != null) {
                            return ext.sharedClusterConf();
                        }
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        throw new IllegalStateException("cannot read " + c.getName() + "." + f.getName(), e);
                    }
                }
            }
        }
        return null;
    }
}
