package io.resiliencekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the guides honest: every code block marked {@code <!-- snippet: path#tag -->} in docs/*.md
 * contains, line for line (indentation aside), the {@code tag::}/{@code end::} region of the source
 * it names, which RetryAndBreakerExamplesTest runs. The block around the region (imports, a class)
 * makes it a whole file, which DocsCompileTest compiles.
 */
class GuideSnippetsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern MARKER = Pattern.compile(
        "<!-- snippet: (\\S+)#(\\S+) -->\\s*\\n```java\\n(.*?)\\n```", Pattern.DOTALL);

    @Test
    void everySnippetInTheDocsIsCompiledCode() throws IOException {
        List<Path> docs;
        try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
            docs = s.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList());
        }
        List<String> checked = new ArrayList<>();
        for (Path doc : docs) {
            Matcher m = MARKER.matcher(Files.readString(doc));
            while (m.find()) {
                Path source = ROOT.resolve(m.group(1));
                assertThat(source).as("%s names %s", doc.getFileName(), m.group(1)).exists();
                String region = region(Files.readString(source), m.group(2));
                assertThat(stripIndent(m.group(3))).as("%s: snippet %s#%s", doc.getFileName(), m.group(1), m.group(2))
                    .contains(stripIndent(region));
                checked.add(doc.getFileName() + "#" + m.group(2));
            }
        }
        assertThat(checked).as("snippets found").contains("guide-retry-and-circuit-breaker.md#basic", "guide-sink.md#connect-write");
    }

    /** Each line without its leading white space, so a region may sit indented inside a method. */
    static String stripIndent(String code) {
        return code.lines().map(String::stripLeading).collect(Collectors.joining("\n"));
    }

    static String region(String source, String tag) {
        Matcher m = Pattern.compile("// tag::" + Pattern.quote(tag) + "\\[\\]\\n(.*?)\\n\\s*// end::"
            + Pattern.quote(tag) + "\\[\\]", Pattern.DOTALL).matcher(source);
        assertThat(m.find()).as("tag %s", tag).isTrue();
        String[] lines = m.group(1).split("\n", -1);
        int indent = Integer.MAX_VALUE;
        for (String l : lines) {
            if (!l.isBlank()) {
                indent = Math.min(indent, l.length() - l.stripLeading().length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            sb.append(l.length() >= indent ? l.substring(indent) : l.strip());
            if (i < lines.length - 1) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }
}
