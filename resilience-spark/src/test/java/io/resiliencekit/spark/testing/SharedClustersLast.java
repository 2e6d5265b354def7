package io.resiliencekit.spark.testing;

import java.util.Comparator;
import java.util.Map;

import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

/**
 * Test class order (set as {@code junit.jupiter.testclass.order.default} in the surefire and
 * failsafe configuration): classes without a shared local-cluster first, in their usual order, then
 * the classes of each shared local-cluster conf together, so each conf's cluster starts once.
 */
public final class SharedClustersLast implements ClassOrderer {

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator.comparing(d -> {
            Map<String, String> conf = SharedClusterListener.usesSharedCluster(d.getTestClass());
            return conf == null ? "0" : "1" + conf;
        }));
    }
}
