package io.resiliencekit.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

/** What the compatibility and deployment tests need to know about jars: where a class came from, hashes. */
final class Jars {

    private Jars() {
    }

    /** The jar file the test's class loader loads {@code resource} from, or an error naming where it came from. */
    static Path jarOf(String resource) {
        URL url = Jars.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(resource + " is not on the test classpath");
        }
        if (!"jar".equals(url.getProtocol())) {
            throw new IllegalStateException(resource + " comes from " + url + ", not from a packaged jar:"
                    + " run the build to the verify phase (mvn verify), which packages resilience-spark first");
        }
        try {
            return Path.of(((JarURLConnection) url.openConnection()).getJarFileURL().toURI()).toRealPath();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot locate the jar of " + url, e);
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A properties file at the root of the classpath (Spark's and Scala's version files). */
    static Properties classpathProperties(String name) {
        Properties p = new Properties();
        try (InputStream in = Jars.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    static String required(String systemProperty) {
        String v = System.getProperty(systemProperty);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + systemProperty + " is not set; spark-compat's pom sets it");
        }
        return v;
    }
}
