package io.resiliencekit.config;

import java.util.List;

/**
 * Every problem found in a set of options, reported together so a user fixes them in one pass.
 *
 * <pre>{@code
 * try {
 *     RetrySpec.fromOptions(options);
 * } catch (ConfigException e) {
 *     e.problems().forEach(System.err::println); // "retry.maxAttempts: must be between 1 and 100, was 0"
 * }
 * }</pre>
 *
 * <p>Messages name the option and, unless the option is secret, the offending value.
 */
public class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, each starting with the option's name. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        StringBuilder sb = new StringBuilder();
        sb.append(problems.size()).append(problems.size() == 1 ? " configuration problem:" : " configuration problems:");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
