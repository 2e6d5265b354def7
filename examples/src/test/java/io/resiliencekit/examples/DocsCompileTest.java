package io.resiliencekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```java} block in README.md and docs/**&#47;*.md compiles, as a whole file, against
 * the project's jars (core, spark, testkit) and Spark.
 *
 * <p>The convention (docs/contributing-docs.md says the same for writers):
 * <ul>
 *   <li>a {@code ```java} block is one complete compilation unit: its imports, then one or more
 *       top-level types (no package line needed). A reader can paste it into a file and compile it;</li>
 *   <li>each block is compiled on its own, so blocks may reuse type names;</li>
 *   <li>there is no way to exempt a {@code ```java} block. Text that is not a whole Java file (a
 *       conf excerpt, a shell line, output) goes in a block of another kind: {@code ```text},
 *       {@code ```properties}, {@code ```bash}.</li>
 * </ul>
 * A failure names the Markdown file and line of each error, all of them in one run.
 */
class DocsCompileTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern FENCE = Pattern.compile("^(\\s*)```(\\S*)\\s*$");
    private static final Pattern TOP_LEVEL_TYPE = Pattern.compile(
        "(?m)^(?:public\\s+|final\\s+|abstract\\s+|sealed\\s+|non-sealed\\s+)*(?:class|interface|record|enum)\\s+([A-Za-z_]\\w*)");

    /** One {@code ```java} block: where it is and its text. */
    record Block(Path file, int firstLine, String code) {
        String where() {
            return ROOT.relativize(file) + ":" + firstLine;
        }
    }

    @Test
    void everyJavaBlockInTheReadmeAndTheDocsCompilesAsAWholeFile() throws IOException {
        List<Block> blocks = new ArrayList<>();
        for (Path md : markdownFiles()) {
            blocks.addAll(javaBlocks(md));
        }
        // the scan itself works: the README's quick start and the Spark guide have Java blocks
        assertThat(blocks).extracting(b -> ROOT.relativize(b.file()).toString())
            .contains("README.md", "docs/guide-spark.md");

        Path out = Files.createTempDirectory("docs-compile");
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            errors.addAll(compile(blocks.get(i), out.resolve("b" + i)));
        }
        assertThat(errors).as("Java blocks in the docs that do not compile as whole files (%d blocks checked)", blocks.size())
            .isEmpty();
    }

    static List<Path> markdownFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (Stream<Path> s = Files.walk(ROOT.resolve("docs"))) {
            files.addAll(s.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
        }
        return files;
    }

    /** The {@code ```java} blocks of one Markdown file, with the line number of each block's first code line. */
    static List<Block> javaBlocks(Path md) throws IOException {
        List<String> lines = Files.readAllLines(md);
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches()) {
                continue;
            }
            int start = i + 1;
            int end = start;
            while (end < lines.size() && !lines.get(end).strip().equals("```")) {
                end++;
            }
            if (open.group(2).toLowerCase(Locale.ROOT).equals("java")) {
                String indent = open.group(1);
                StringBuilder code = new StringBuilder();
                for (String l : lines.subList(start, Math.min(end, lines.size()))) {
                    code.append(l.startsWith(indent) ? l.substring(indent.length()) : l.strip()).append('\n');
                }
                out.add(new Block(md, start + 1, code.toString()));
            }
            i = end;
        }
        return out;
    }

    /** Compiles one block as a file of its own; returns "file.md:line: message" for each error. */
    static List<String> compile(Block block, Path dir) throws IOException {
        Matcher type = TOP_LEVEL_TYPE.matcher(block.code());
        if (!type.find()) {
            return List.of(block.where() + ": a ```java block must be a whole file (imports, then a class,"
                + " interface, record or enum); use ```text for other snippets");
        }
        Path src = dir.resolve("src").resolve(type.group(1) + ".java");
        Files.createDirectories(src.getParent());
        Files.createDirectories(dir.resolve("classes"));
        Files.writeString(src, block.code());

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        StringWriter output = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("--release", "17", "-proc:none", "-Xlint:none",
                "-classpath", classpath(), "-d", dir.resolve("classes").toString());
            boolean ok = javac.getTask(output, files, diagnostics, options, null, files.getJavaFileObjects(src.toFile())).call();
            List<String> errors = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    long line = d.getLineNumber() > 0 ? block.firstLine() + d.getLineNumber() - 1 : block.firstLine();
                    errors.add(ROOT.relativize(block.file()) + ":" + line + ": " + d.getMessage(Locale.ROOT));
                }
            }
            if (!ok && errors.isEmpty()) {
                errors.add(block.where() + ": javac failed: " + output);
            }
            return errors;
        }
    }

    /**
     * The test classpath without this module's own classes: the published artifacts (core, spark,
     * testkit), Spark, and their dependencies, what a reader's build has.
     */
    static String classpath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        Path own = ROOT.resolve("examples").resolve("target");
        return Stream.of(cp.split(File.pathSeparator)).filter(p -> !p.isBlank())
            .filter(p -> !Path.of(p).toAbsolutePath().normalize().startsWith(own))
            .collect(Collectors.joining(File.pathSeparator));
    }
}
