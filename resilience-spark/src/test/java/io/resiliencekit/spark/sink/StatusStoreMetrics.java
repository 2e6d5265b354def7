package io.resiliencekit.spark.sink;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.ui.SQLAppStatusStore;
import org.apache.spark.sql.execution.ui.SQLExecutionUIData;
import org.apache.spark.sql.execution.ui.SQLPlanMetric;

/**
 * Reads SQL metrics back from Spark's status store (what the SQL tab of the UI shows), through
 * Scala iterators only, so the test compiles and runs on Scala 2.12 and 2.13.
 */
final class StatusStoreMetrics {

    private StatusStoreMetrics() {
    }

    /** Metric name (its description) to value, of the latest SQL execution that has the sink's metrics. */
    static Map<String, Long> lastWrite(SparkSession spark) throws InterruptedException {
        SQLAppStatusStore store = spark.sharedState().statusStore();
        for (int wait = 0; wait < 100; wait++) {
            Map<String, Long> found = null;
            long latest = -1;
            scala.collection.Iterator<SQLExecutionUIData> it = store.executionsList().iterator();
            while (it.hasNext()) {
                SQLExecutionUIData e = it.next();
                if (e.executionId() < latest || e.completionTime().isEmpty()) {
                    continue;
                }
                Map<Long, String> names = new LinkedHashMap<>();
                scala.collection.Iterator<SQLPlanMetric> ms = e.metrics().iterator();
                while (ms.hasNext()) {
                    SQLPlanMetric m = ms.next();
                    names.put(m.accumulatorId(), m.name());
                }
                if (!names.containsValue("rows written (effects made)")) {
                    continue;
                }
                Map<String, Long> values = new LinkedHashMap<>();
                scala.collection.Iterator<scala.Tuple2<Object, String>> vs = store.executionMetrics(e.executionId()).iterator();
                while (vs.hasNext()) {
                    scala.Tuple2<Object, String> v = vs.next();
                    String name = names.get((Long) v._1());
                    if (name != null && v._2().strip().matches("-?[0-9]+")) {   // custom sums: plain numbers
                        values.put(name, Long.parseLong(v._2().strip()));
                    }
                }
                latest = e.executionId();
                found = values;
            }
            if (found != null && !found.isEmpty()) {
                return found;
            }
            Thread.sleep(50);   // the listener bus delivers the execution's end asynchronously
        }
        return Map.of();
    }
}
