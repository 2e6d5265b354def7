package io.resiliencekit.spark.testing;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real SparkSession for a test class: {@code local()} starts one before the first test and stops
 * it after the last; {@code localCluster()} takes the JVM's shared local-cluster for this conf
 * ({@link SparkClusters#sharedLocalCluster}), so classes that ask for the same conf run on the same
 * driver and executor JVMs one after the other. Such a class must name its limiters, breakers,
 * policies, driver services and run ids for itself (state in those JVMs outlives the class), must
 * not stop the session, and must not assume executor ids (a class before may have killed one).
 *
 * <pre>{@code
 * class MyClusterTest {
 *     @RegisterExtension
 *     static final SparkSessionExtension SPARK = SparkSessionExtension.localCluster()
 *             .conf("spark.plugins", "io.resiliencekit.spark.ResiliencePlugin");
 *
 *     @Test
 *     void runsOnTwoExecutors() {
 *         SPARK.jsc().parallelize(List.of(1, 2, 3, 4), 4).map(...).collect();
 *     }
 * }
 * }</pre>
 *
 * Must be a {@code static} field so the session is shared by all tests of the class.
 */
public final class SparkSessionExtension implements BeforeAllCallback, AfterAllCallback {

    private final boolean cluster;
    private final Map<String, String> conf = new LinkedHashMap<>();
    private SparkSession spark;

    private SparkSessionExtension(boolean cluster) {
        this.cluster = cluster;
    }

    /** {@code local[2]}: driver and executor in the test JVM. */
    public static SparkSessionExtension local() {
        return new SparkSessionExtension(false);
    }

    /** {@code local-cluster[2,1,1024]}: two separate executor JVMs, shared with classes of the same conf. */
    public static SparkSessionExtension localCluster() {
        return new SparkSessionExtension(true);
    }

    /** Adds a Spark setting; call before the class's tests start. */
    public SparkSessionExtension conf(String key, String value) {
        conf.put(key, value);
        return this;
    }

    public SparkSession spark() {
        if (spark == null) {
            throw new IllegalStateException("SparkSession not started: register the extension on a static field");
        }
        return spark;
    }

    public JavaSparkContext jsc() {
        return JavaSparkContext.fromSparkContext(spark().sparkContext());
    }

    public boolean isCluster() {
        return cluster;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String app = context.getRequiredTestClass().getSimpleName();
        spark = cluster ? SparkClusters.sharedLocalCluster(conf) : SparkClusters.local(app, conf);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!cluster) {
            SparkClusters.stop(spark);
        }
        spark = null;
    }

    /** The conf a shared local-cluster is keyed by; {@code null} for {@code local()}. */
    Map<String, String> sharedClusterConf() {
        return cluster ? new java.util.TreeMap<>(conf) : null;
    }
}
