package io.resiliencekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The BOM and the published set agree: resilience-bom (which has no parent, so that importing it
 * manages our artifacts only) carries the parent's version and manages exactly the modules that a
 * release publishes; every other module skips deploy.
 */
class ReleaseLayoutTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theBomManagesExactlyThePublishedModulesAtTheParentsVersion() throws IOException {
        String parent = Files.readString(ROOT.resolve("pom.xml"));
        String bom = Files.readString(ROOT.resolve("resilience-bom/pom.xml"));
        assertThat(first(bom, "<artifactId>resilience-bom</artifactId>\\s*<version>([^<]+)</version>"))
            .isEqualTo(first(parent, "<artifactId>resiliencekit-parent</artifactId>\\s*<version>([^<]+)</version>"));

        List<String> published = new ArrayList<>();
        for (String module : all(parent, "<module>([^<]+)</module>")) {
            String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
            boolean skipsDeploy = pom.contains("<maven.deploy.skip>true</maven.deploy.skip>");
            if (!skipsDeploy && !module.equals("resilience-bom")) {
                published.add(module);
            }
        }
        assertThat(published).contains("resilience-core", "resilience-spark", "resilience-testkit");
        String managed = bom.substring(bom.indexOf("<dependencyManagement>"), bom.indexOf("</dependencyManagement>"));
        assertThat(all(managed, "<artifactId>([^<]+)</artifactId>"))
            .as("artifacts managed by resilience-bom").containsExactlyInAnyOrderElementsOf(published);
    }

    private static String first(String text, String regex) {
        List<String> found = all(text, regex);
        assertThat(found).as(regex).isNotEmpty();
        return found.get(0);
    }

    private static List<String> all(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
