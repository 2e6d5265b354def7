package io.resiliencekit.spark.options;

import static org.assertj.core.api.Assertions.assertThat;

import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.spark.cluster.PluginOptions;
import io.resiliencekit.spark.partition.PartitionOptions;
import io.resiliencekit.spark.sink.SinkOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/options.md} equal to what the option schemas generate, so the reference can
 * never drift from the parsers. This module's tests see every schema (core's and Spark's).
 */
class OptionsDocTest {

    static final Path DOC = Path.of("..", "docs", "options.md");
    static final Path GENERATED = Path.of("target", "generated-docs", "options.md");
    static final String REGENERATE = "mvn -B -ntp -pl resilience-spark -am test -Dtest=OptionsDocTest "
        + "-Dsurefire.failIfNoSpecifiedTests=false -Doptions.regenerate=true";

    /** The whole page: every option of every section, in the order a reader meets them. */
    static String generate() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Options reference\n\n");
        sb.append("<!-- Generated from the option schemas by OptionsDocTest (resilience-spark); do not edit by hand.\n");
        sb.append("     Regenerate: ").append(REGENERATE).append(" -->\n\n");
        sb.append("Every string option of resiliencekit, generated from the same schemas that parse them, so this page ");
        sb.append("and the parsers cannot disagree. ");
        sb.append(OptionSchema.conventionsMarkdown()).append('\n');
        sb.append(ResiliencePolicyConfig.optionSchema().markdown("", 2));
        sb.append(HttpJsonClientConfig.optionSchema().markdown("", 2));
        sb.append(PartitionOptions.optionSchema().markdown(PartitionOptions.PREFIX, 2));
        sb.append(PluginOptions.optionSchema().markdown(PluginOptions.PREFIX, 2));
        sb.append(SinkOptions.optionSchema().markdown("", 2));
        return sb.toString().stripTrailing() + "\n";
    }

    @Test
    void docsOptionsMdIsWhatTheSchemasGenerate() throws IOException {
        String generated = generate();
        Files.createDirectories(GENERATED.getParent());
        Files.writeString(GENERATED, generated, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("options.regenerate")) {
            Files.writeString(DOC, generated, StandardCharsets.UTF_8);
        }
        String committed = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
        assertThat(committed)
            .as("docs/options.md is not what the option schemas generate. Regenerate it with%n  %s%n"
                + "(or copy resilience-spark/%s over it) and commit the result.", REGENERATE, GENERATED)
            .isEqualTo(generated);
    }

    @Test
    void everyOptionOfEverySectionIsDocumented() {
        String doc = generate();
        for (OptionSchema<?> s : new OptionSchema<?>[] {ResiliencePolicyConfig.optionSchema(),
                HttpJsonClientConfig.optionSchema(), SinkOptions.optionSchema()}) {
            s.keys("").forEach(k -> assertThat(doc).contains("| `" + k + "` |"));
        }
        PartitionOptions.optionSchema().keys(PartitionOptions.PREFIX).forEach(k -> assertThat(doc).contains("| `" + k + "` |"));
        PluginOptions.optionSchema().keys(PluginOptions.PREFIX).forEach(k -> assertThat(doc).contains("| `" + k + "` |"));
        assertThat(doc).contains("| `idempotency.password` | string | any text | none | yes |")
            .contains("| `rateLimit.authority` | enum | inprocess, cluster, jdbc | inprocess |  |");
    }
}
