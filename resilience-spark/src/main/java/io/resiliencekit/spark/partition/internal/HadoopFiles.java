package io.resiliencekit.spark.partition.internal;

import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Secrets;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;

/**
 * Dead-letter directories are Hadoop paths, as every other path in Spark is: {@code s3a://},
 * {@code hdfs://}, {@code file://}, or a path on the default file system. Spark ships Hadoop's
 * client, and this module uses its {@code FileSystem} API only.
 */
public final class HadoopFiles {

    private HadoopFiles() {
    }

    // Parsing Hadoop's default and site XML files takes tens of milliseconds; they do not change
    // while the JVM runs, so they are parsed once and every configuration starts from a copy.
    private static final class SiteFiles {
        static final Configuration LOADED = load();

        private static Configuration load() {
            Configuration c = new Configuration();
            c.size();   // forces the resources to be parsed now, not in every copy
            return c;
        }
    }

    /**
     * A Hadoop configuration as Spark gives its own code one: the site files on the classpath plus
     * the application's {@code spark.hadoop.*} settings (credentials of object stores live there).
     */
    public static Configuration configuration() {
        Configuration conf = new Configuration(SiteFiles.LOADED);
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (scala.Tuple2<String, String> kv : env.conf().getAllWithPrefix("spark.hadoop.")) {
                conf.set(kv._1(), kv._2());
            }
        }
        return conf;
    }

    /**
     * The type of {@code partition.deadLetterPath}: no control characters, and a scheme (if any)
     * that a Hadoop file system on this classpath serves, so that {@code s3://bucket/dlq} without
     * a file system for {@code s3} is refused on the driver by name instead of turning into a local
     * folder {@code ./s3:/bucket/dlq} on every executor.
     */
    public static OptionType<String> directoryType() {
        return OptionType.<String>custom("path", "a directory: a path, or a Hadoop file system URI (file://, hdfs://, s3a://...)",
            HadoopFiles::checkDirectory, s -> s).shownAs(Secrets::redactUrl);
    }

    private static String checkDirectory(String text) throws OptionType.InvalidValue {
        if (text.chars().anyMatch(c -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
            throw new OptionType.InvalidValue("must not contain control characters");
        }
        Path path;
        try {
            path = new Path(text);
        } catch (IllegalArgumentException e) {
            throw new OptionType.InvalidValue("must be a directory path or a Hadoop file system URI");
        }
        String scheme = path.toUri().getScheme();
        if (scheme != null && !registered(scheme)) {
            try {
                FileSystem.getFileSystemClass(scheme, configuration());
            } catch (IOException | RuntimeException e) {
                throw new OptionType.InvalidValue("must be on a Hadoop file system, and there is none for scheme '" + scheme
                    + "' on this classpath (file://, hdfs:// and, with hadoop-aws, s3a:// are the usual ones)");
            }
        }
        return text;
    }

    // File systems registered through Java's ServiceLoader (file, hdfs, viewfs...), without a configuration.
    private static boolean registered(String scheme) {
        try {
            return FileSystem.getFileSystemClass(scheme, null) != null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The file system of {@code path} (shared and cached by Hadoop: never close it). */
    static FileSystem fileSystem(Path path) throws IOException {
        return path.getFileSystem(configuration());
    }
}
