import java.util.HashMap;
import java.util.Map;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark Connect client as a user writes one: it knows only the server's address and the
 * {@code resilient} format's options. SparkConnectSinkTest runs it in a JVM of its own, with the
 * Spark Connect JVM client on the classpath and no classic Spark (the two share package names), as a
 * single source file ({@code java -cp <client classpath> ConnectWriteClient.java ...}).
 *
 * <p>Arguments: {@code sc://host:port}, the HTTP API's base URI, the dead-letter folder, the number
 * of rows, a secret for the option map that must fail. Prints one line per step: {@code SESSION ...},
 * {@code BAD-OPTIONS at=<epoch ms> <exception class>: <message on one line>} (a write whose option
 * map has several errors, first, so that the test can check no task started before it failed), then
 * {@code WRITE ok ...} (the write that must succeed).
 */
public final class ConnectWriteClient {

    public static void main(String[] args) {
        String remote = args[0];
        String baseUri = args[1];
        String deadLetters = args[2];
        int rows = Integer.parseInt(args[3]);
        String secret = args[4];

        long start = System.nanoTime();
        // connect.SparkSession's builder: the generic SparkSession.builder() also works with Spark's
        // client packaging, but needs spark-connect-shims, which Maven Central lacks (see the test)
        SparkSession spark = org.apache.spark.sql.connect.SparkSession.builder().remote(remote).getOrCreate();
        System.out.printf("SESSION %s (Spark %s) after %d ms%n", remote, spark.version(), millisSince(start));
        try {
            Dataset<Row> orders = spark.range(0, rows)
                    .selectExpr("concat('r-', CAST(id AS STRING)) AS id", "id * 2 AS amount")
                    .repartition(2);

            Map<String, String> bad = new HashMap<>();
            bad.put("sink", "jdbc");
            bad.put("jdbc.url", "postgres://db/shop");   // not a JDBC URL; jdbc.table missing
            bad.put("jdbc.password", secret);
            bad.put("retry.maxAttempts", "0");           // out of range
            bad.put("rateLimit.rat", "100");             // typo of rateLimit.rate
            try {
                orders.write().format("resilient").options(bad).mode("append").save();
                System.out.println("BAD-OPTIONS accepted");
            } catch (RuntimeException e) {
                System.out.println("BAD-OPTIONS at=" + System.currentTimeMillis() + " " + e.getClass().getName() + ": "
                        + String.valueOf(e.getMessage()).replace('\n', ' '));
            }

            // tag::connect-write[]
            orders.write().format("resilient")
                    .option("sink", "http")
                    .option("http.baseUri", baseUri)
                    .option("http.path", "/records")
                    .option("keyColumn", "id")
                    .option("partition.runId", "connect-run-1")
                    .option("partition.continueOnError", "true")
                    .option("partition.deadLetterPath", deadLetters)
                    .mode("append")
                    .save();
            // end::connect-write[]
            System.out.printf("WRITE ok after %d ms%n", millisSince(start));
        } finally {
            spark.stop();
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
