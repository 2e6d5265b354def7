package io.resiliencekit.config;

import io.resiliencekit.config.internal.Text;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The declarative description of one section of options: for every key its type and range,
 * default, whether it is secret, and a one-line doc. One schema drives parsing (every problem
 * reported at once, unknown keys named with a "did you mean"), {@code toOptions}, masking in
 * {@code toString}, and the generated {@code docs/options.md}.
 *
 * <pre>{@code
 * private static final OptionSchema.Declarer<RetryConfig> D = OptionSchema.declarer(RetryConfig.class);
 * static final Option<RetryConfig, Integer> MAX_ATTEMPTS = D.option("maxAttempts", OptionType.integer(1, 1000), 3,
 *     RetryConfig::maxAttempts, "Attempts in all, the first included.");
 * static final Option<RetryConfig, Long> SEED = D.option("seed", OptionType.longInteger(Long.MIN_VALUE, Long.MAX_VALUE),
 *     null, c -> c.seed, "Seeds the jitter.");
 * static final OptionSchema<RetryConfig> SCHEMA = OptionSchema.<RetryConfig>builder("Retry")
 *     .addAll(D)                                  // every option declared above, in order
 *     .build(v -> RetryConfig.builder().maxAttempts(v.get(MAX_ATTEMPTS)).seed(v.get(SEED)).build());
 *
 * RetryConfig c = SCHEMA.parse(Map.of("retry.maxAttempts", "5"), "retry.");   // ConfigException with every problem
 * Map<String, String> back = SCHEMA.toOptions(c, "retry.");
 * }</pre>
 *
 * <p>The contract of every string-option entry point built on a schema: read every key, record
 * every problem, and throw one {@link ConfigException} at the end ({@link #parse}); readers that
 * take an {@link Options} record into it and leave the throwing to their caller ({@link #read}).
 * Adding a key is one declaration (and the config's field it fills); adding an accepted value
 * to an enum option is one enum constant; a range or a default is one argument.
 *
 * @param <C> the config class the options describe
 */
public final class OptionSchema<C> {

    private final String title;
    private final String description;
    private final List<Object> entries;
    private final Function<Values, C> build;

    private OptionSchema(Builder<C> b, Function<Values, C> build) {
        this.title = b.title;
        this.description = b.description;
        this.entries = List.copyOf(b.entries);
        this.build = build;
    }

    /** Starts a schema titled {@code title} in the docs. */
    public static <C> Builder<C> builder(String title) {
        return new Builder<>(title);
    }

    /**
     * Declares the options of config class {@code type}; its methods infer the config type for
     * getters written as lambdas ({@code c -> c.field}).
     *
     * <pre>{@code
     * private static final OptionSchema.Declarer<RetryConfig> D = OptionSchema.declarer(RetryConfig.class);
     * static final Option<RetryConfig, Long> SEED = D.option("seed", OptionType.longInteger(...), null, c -> c.seed, "...");
     * }</pre>
     */
    public static <C> Declarer<C> declarer(Class<C> type) {
        return new Declarer<>();
    }

    /**
     * Declares options, families and sections of one config class, and remembers them in
     * declaration order, so {@link Builder#addAll} takes them all: adding a key to a schema is
     * one declaration. See {@link #declarer}.
     */
    public static final class Declarer<C> {
        private final List<Object> declared = new ArrayList<>();
        private boolean frozen;

        private Declarer() {
        }

        /** See {@link OptionSchema#option}. */
        public <T> Option<C, T> option(String key, OptionType<T> type, T defaultValue,
                                       Function<? super C, ? extends T> getter, String doc) {
            return remember(new Option<>(key, type, defaultValue, getter, doc));
        }

        /** See {@link OptionSchema#family}. */
        public <T> Family<C, T> family(String template, Pattern names, OptionType<T> type,
                                       Function<? super C, Map<String, T>> getter, String doc) {
            return remember(new Family<>(template, names, type, getter, doc));
        }

        /** See {@link OptionSchema#section}. */
        public <S> Section<C, S> section(String prefix, OptionSchema<S> schema, Function<? super C, ? extends S> getter) {
            return remember(new Section<>(prefix, schema, getter));
        }

        private <E> E remember(E entry) {
            if (frozen) {
                throw new IllegalStateException("a declarer's schema is built already; declare its options before");
            }
            declared.add(entry);
            return entry;
        }
    }

    /**
     * Declares an option.
     *
     * @param key          relative to the section's prefix, e.g. {@code maxAttempts}
     * @param defaultValue used when the option is not set (null: none)
     * @param getter       the value of a config, for {@code toOptions} and {@code toString} (null: omitted)
     * @param doc          one line for the docs
     */
    public static <C, T> Option<C, T> option(String key, OptionType<T> type, T defaultValue,
                                             Function<? super C, ? extends T> getter, String doc) {
        return new Option<>(key, type, defaultValue, getter, doc);
    }

    /**
     * Declares a family of keys with a user-chosen name part, such as {@code header.<name>}.
     *
     * @param template the key with one {@code <name>} placeholder
     * @param names    what the name part may be
     * @param getter   the values of a config by name, for {@code toOptions} and {@code toString}
     */
    public static <C, T> Family<C, T> family(String template, Pattern names, OptionType<T> type,
                                             Function<? super C, Map<String, T>> getter, String doc) {
        return new Family<>(template, names, type, getter, doc);
    }

    /** Declares a nested section under {@code prefix} (e.g. {@code retry.}) described by {@code schema}. */
    public static <P, C> Section<P, C> section(String prefix, OptionSchema<C> schema, Function<? super P, ? extends C> getter) {
        return new Section<>(prefix, schema, getter);
    }

    /**
     * Parses {@code options}: reads every key of this schema under {@code prefix}, rejects every
     * other key under it (all keys when the prefix is empty), and throws one {@link ConfigException}
     * naming every problem.
     */
    public C parse(Map<String, String> options, String prefix) {
        Options o = Options.of(options);
        C value = read(o, prefix, true);
        o.throwIfInvalid();
        return value;
    }

    /**
     * Reads this schema's keys under {@code prefix} from {@code o}, recording every problem there
     * without throwing. Invalid values fall back to their defaults, so the result is usable for
     * further checks but only meaningful if {@code o} has no problems.
     */
    @SuppressWarnings("unchecked")
    public C read(Options o, String prefix, boolean rejectUnknown) {
        String p = prefix == null ? "" : prefix;
        Values v = new Values(this, o, p);
        C value = (C) v.build();
        if (rejectUnknown) {
            o.rejectUnknown(p);
        }
        return value;
    }

    /** The options that {@link #parse} turns back into {@code value}, in declaration order. Holds secrets: do not log. */
    public Map<String, String> toOptions(C value, String prefix) {
        Map<String, String> out = new LinkedHashMap<>();
        collect(value, prefix == null ? "" : prefix, out, false);
        return out;
    }

    /** {@code {key=value, ...}} with secret values masked and URLs redacted; safe to log. */
    public String describe(C value) {
        Map<String, String> shown = new LinkedHashMap<>();
        collect(value, "", shown, true);
        return shown.toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void collect(C value, String prefix, Map<String, String> out, boolean masked) {
        for (Object e : entries) {
            if (e instanceof Option) {
                Option<C, Object> opt = (Option<C, Object>) e;
                Object v = opt.getter.apply(value);
                if (v != null) {
                    String s = opt.type.format(v);
                    out.put(prefix + opt.key, masked ? opt.shown(s) : s);
                }
            } else if (e instanceof Family) {
                Family<C, Object> f = (Family<C, Object>) e;
                Map<String, Object> byName = f.getter.apply(value);
                if (byName != null) {
                    byName.forEach((name, v) -> {
                        String s = f.type.format(v);
                        out.put(prefix + f.key(name), masked ? (f.isSecret(name) ? Secrets.MASK
                            : Text.escapeControls(f.type.shown(s))) : s);
                    });
                }
            } else {
                Section<C, Object> s = (Section<C, Object>) e;
                Object child = s.getter.apply(value);
                if (child != null) {
                    ((OptionSchema) s.schema).collect(child, prefix + s.prefix, out, masked);
                }
            }
        }
    }

    /** Every key this schema knows under {@code prefix}; families with their {@code <name>} placeholder. */
    public List<String> keys(String prefix) {
        List<String> out = new ArrayList<>();
        for (Object e : entries) {
            if (e instanceof Option) {
                out.add(prefix + ((Option<?, ?>) e).key);
            } else if (e instanceof Family) {
                out.add(prefix + ((Family<?, ?>) e).template);
            } else {
                Section<?, ?> s = (Section<?, ?>) e;
                out.addAll(s.schema.keys(prefix + s.prefix));
            }
        }
        return out;
    }

    public String title() {
        return title;
    }

    /** How every schema reads its values: the conventions paragraph of {@code docs/options.md}. */
    public static String conventionsMarkdown() {
        return "Conventions shared by every section:\n\n"
            + "- **Every problem at once.** A map is checked completely, and one `ConfigException` lists every "
            + "problem, each starting with the option's name.\n"
            + "- **Unknown keys are errors**, with a \"did you mean\" suggestion, so a typo never passes silently. "
            + "A key that exists but cannot take effect with the other values (see \"Only when\") is an error too.\n"
            + "- **Keys are case-insensitive**, because Spark lower-cases DataSource option names: `ratelimit.rate` "
            + "is `rateLimit.rate`. When two keys differ only in case, the exactly spelt one wins and the other is "
            + "reported.\n"
            + "- **Empty means not set.** A blank value is the same as an absent key; a null key is an error.\n"
            + "- **Durations** are `250ms`, `2s`, `5m`, `1h`, `1d`, `10us`, `100ns`, or ISO-8601 (`PT2S`).\n"
            + "- **Secrets** (the `secret` column) never appear in messages, logs or `toString`; URLs are shown with "
            + "their user info and parameter values masked; long values are cut in messages.\n";
    }

    /**
     * This schema as Markdown: a heading, the description, and one table row per option (type,
     * range, default, secret, doc); nested sections follow as sub-headings.
     */
    public String markdown(String prefix, int headingLevel) {
        StringBuilder sb = new StringBuilder();
        sb.append("#".repeat(headingLevel)).append(' ').append(title).append("\n\n");
        if (!description.isEmpty()) {
            sb.append(description).append("\n\n");
        }
        List<Section<?, ?>> sections = new ArrayList<>();
        boolean table = false;
        for (Object e : entries) {
            if (e instanceof Section) {
                sections.add((Section<?, ?>) e);
                continue;
            }
            if (!table) {
                sb.append("| option | type | range | default | secret | description |\n");
                sb.append("|---|---|---|---|---|---|\n");
                table = true;
            }
            if (e instanceof Option) {
                Option<?, ?> o = (Option<?, ?>) e;
                row(sb, prefix + o.key, o.type, o.defaultDoc(), o.secret ? "yes" : "", o.fullDoc(prefix));
            } else {
                Family<?, ?> f = (Family<?, ?>) e;
                row(sb, prefix + f.template, f.type, f.defaultDoc, f.secretDoc, f.doc);
            }
        }
        if (table) {
            sb.append('\n');
        }
        for (Section<?, ?> s : sections) {
            sb.append(s.schema.markdown(prefix + s.prefix, headingLevel + 1));
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String key, OptionType<?> type, String dflt, String secret, String doc) {
        sb.append("| `").append(key.replace("|", "\\|")).append("` | ").append(cell(type.name())).append(" | ").append(cell(type.range()))
            .append(" | ").append(cell(dflt)).append(" | ").append(secret).append(" | ").append(cell(doc)).append(" |\n");
    }

    // Not inside code spans: '<name>' would read as an HTML tag and vanish.
    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Collects the entries of a schema. */
    public static final class Builder<C> {
        private final String title;
        private String description = "";
        private final List<Object> entries = new ArrayList<>();

        private Builder(String title) {
            this.title = Objects.requireNonNull(title, "title");
        }

        /** A paragraph for the docs, under the title. */
        public Builder<C> description(String text) {
            this.description = Objects.requireNonNull(text, "text");
            return this;
        }

        @SafeVarargs
        public final Builder<C> add(Option<? super C, ?>... options) {
            for (Option<? super C, ?> o : options) {
                entries.add(Objects.requireNonNull(o));
            }
            return this;
        }

        public Builder<C> add(Family<? super C, ?> family) {
            entries.add(Objects.requireNonNull(family));
            return this;
        }

        public Builder<C> add(Section<? super C, ?> section) {
            entries.add(Objects.requireNonNull(section));
            return this;
        }

        /** Every option, family and section {@code declarer} declared, in declaration order; the declarer is done then. */
        public Builder<C> addAll(Declarer<C> declarer) {
            declarer.frozen = true;
            entries.addAll(declarer.declared);
            return this;
        }

        /**
         * The schema; {@code build} assembles a config from the values read (and records cross-field
         * problems). Its options are frozen from now on: a schema and its options are immutable values.
         */
        public OptionSchema<C> build(Function<Values, C> build) {
            for (Object e : entries) {
                if (e instanceof Option) {
                    ((Option<?, ?>) e).frozen = true;
                } else if (e instanceof Family) {
                    ((Family<?, ?>) e).frozen = true;
                }
            }
            return new OptionSchema<>(this, Objects.requireNonNull(build, "build"));
        }
    }

    /**
     * One option: key, type (with its range), default, secret flag, doc, and the condition under
     * which it has an effect. Declared once as a constant and added to a schema; its modifiers are
     * for the declaration, and throw once the option is part of a built schema (it is an immutable
     * value from then on).
     */
    public static final class Option<C, T> {
        final String key;
        final OptionType<T> type;
        final T defaultValue;
        final Function<? super C, ? extends T> getter;
        final String doc;
        boolean secret;
        String defaultDoc;
        String requiredHint;
        Option<?, ?> conditionOn;
        Predicate<Object> condition;
        String conditionDoc;
        boolean frozen;

        Option(String key, OptionType<T> type, T defaultValue, Function<? super C, ? extends T> getter, String doc) {
            this.key = Objects.requireNonNull(key, "key");
            this.type = Objects.requireNonNull(type, "type");
            this.defaultValue = defaultValue;
            this.getter = Objects.requireNonNull(getter, "getter");
            this.doc = Objects.requireNonNull(doc, "doc");
        }

        /** Its value is never shown: masked in problems, {@code toString} and logs. */
        public Option<C, T> secret() {
            checkNotFrozen(frozen, key);
            this.secret = true;
            return this;
        }

        /** Describes a default that depends on other values, e.g. "one second of rate". */
        public Option<C, T> defaultDoc(String text) {
            checkNotFrozen(frozen, key);
            this.defaultDoc = text;
            return this;
        }

        /** Not setting it is a problem: {@code "is required (<hint>)"}. */
        public Option<C, T> required(String hint) {
            checkNotFrozen(frozen, key);
            this.requiredHint = hint;
            return this;
        }

        /**
         * It has an effect only when {@code other} has a value that passes {@code test}; when it is
         * set otherwise, that is a problem ({@code "has no effect unless <prefix><description>"})
         * rather than a value silently ignored.
         *
         * @param description starts with the other option's relative key, e.g. {@code "store is jdbc"}
         */
        @SuppressWarnings("unchecked")
        public <X> Option<C, T> onlyWhen(Option<?, X> other, Predicate<? super X> test, String description) {
            checkNotFrozen(frozen, key);
            this.conditionOn = other;
            this.condition = (Predicate<Object>) test;
            this.conditionDoc = description;
            return this;
        }

        public String key() {
            return key;
        }

        public OptionType<T> type() {
            return type;
        }

        public boolean isSecret() {
            return secret;
        }

        String shown(String raw) {
            return secret ? Secrets.MASK : Text.escapeControls(type.shown(raw));
        }

        String defaultDoc() {
            if (defaultDoc != null) {
                return defaultDoc;
            }
            if (requiredHint != null) {
                return "required";
            }
            return defaultValue == null ? "none" : type.format(defaultValue);
        }

        String fullDoc(String prefix) {
            return conditionDoc == null ? doc : doc + " Only when `" + prefix + conditionDoc.replaceFirst(" ", "` ") + ".";
        }
    }

    /** A family of keys with a user-chosen name part, such as HTTP headers ({@code header.<name>}). */
    public static final class Family<C, T> {
        final String template;
        final Pattern names;
        final OptionType<T> type;
        final Function<? super C, Map<String, T>> getter;
        final String doc;
        private final Pattern keyPattern;
        Predicate<String> secretName = n -> false;
        String secretDoc = "";
        String defaultDoc = "none";
        boolean frozen;

        Family(String template, Pattern names, OptionType<T> type, Function<? super C, Map<String, T>> getter, String doc) {
            int at = template.indexOf("<name>");
            if (at < 0) {
                throw new IllegalArgumentException("template needs a <name> placeholder: " + template);
            }
            this.template = template;
            this.names = names;
            this.type = type;
            this.getter = getter;
            this.doc = doc;
            this.keyPattern = Pattern.compile("(?i)" + Pattern.quote(template.substring(0, at)) + "(.+)"
                + Pattern.quote(template.substring(at + "<name>".length())));
        }

        /** Values of names that pass {@code test} are secret (e.g. headers named like secrets). */
        public Family<C, T> secretWhen(Predicate<String> test, String description) {
            checkNotFrozen(frozen, template);
            this.secretName = Objects.requireNonNull(test);
            this.secretDoc = description;
            return this;
        }

        /** Describes the default of an entry that is not set, for the docs. */
        public Family<C, T> defaultDoc(String text) {
            checkNotFrozen(frozen, template);
            this.defaultDoc = Objects.requireNonNull(text);
            return this;
        }

        boolean isSecret(String name) {
            return secretName.test(name);
        }

        String key(String name) {
            return template.replace("<name>", name);
        }

        /** The name part of {@code relativeKey}, or null if the key is not of this family. */
        String nameOf(String relativeKey) {
            Matcher m = keyPattern.matcher(relativeKey);
            return m.matches() ? m.group(1) : null;
        }
    }

    private static void checkNotFrozen(boolean frozen, String key) {
        if (frozen) {
            throw new IllegalStateException(key + " is part of a built schema already: declare it completely first");
        }
    }

    /** A nested section: another schema under a prefix. */
    public static final class Section<P, C> {
        final String prefix;
        final OptionSchema<C> schema;
        final Function<? super P, ? extends C> getter;

        Section(String prefix, OptionSchema<C> schema, Function<? super P, ? extends C> getter) {
            this.prefix = Objects.requireNonNull(prefix, "prefix");
            this.schema = Objects.requireNonNull(schema, "schema");
            this.getter = Objects.requireNonNull(getter, "getter");
        }

        public String prefix() {
            return prefix;
        }
    }

    /**
     * What a schema's build function sees: the parsed value of each option (its default when it is
     * not set or invalid), which options were set, and a way to record cross-field problems.
     */
    public static final class Values {
        private final OptionSchema<?> schema;
        private final Options o;
        private final String prefix;
        private final Map<Option<?, ?>, Object> parsed = new IdentityHashMap<>();
        private final Map<Option<?, ?>, Boolean> given = new IdentityHashMap<>();
        private final Map<Family<?, ?>, Map<String, Object>> families = new IdentityHashMap<>();
        private final Map<Section<?, ?>, Values> sections = new IdentityHashMap<>();
        private final List<String> givenKeys = new ArrayList<>();

        Values(OptionSchema<?> schema, Options o, String prefix) {
            this.schema = schema;
            this.o = o;
            this.prefix = prefix;
            for (Object e : schema.entries) {
                if (e instanceof Option) {
                    load((Option<?, ?>) e);
                } else if (e instanceof Family) {
                    load((Family<?, ?>) e);
                } else {
                    Section<?, ?> s = (Section<?, ?>) e;
                    Values child = new Values(s.schema, o, prefix + s.prefix);
                    sections.put(s, child);
                    givenKeys.addAll(child.givenKeys);
                }
            }
            for (Object e : schema.entries) {
                if (e instanceof Option) {
                    checkCondition((Option<?, ?>) e);
                }
            }
        }

        private void load(Option<?, ?> opt) {
            String key = prefix + opt.key;
            String raw = o.raw(key);
            if (raw == null) {
                given.put(opt, false);
                return;
            }
            given.put(opt, true);
            givenKeys.add(key);
            try {
                parsed.put(opt, opt.type.parse(raw));
            } catch (OptionType.InvalidValue e) {
                o.problem(key, e.describe(opt.secret ? Secrets.MASK : Text.quote(opt.type.shown(raw))));
            }
        }

        private void load(Family<?, ?> f) {
            Map<String, Object> byName = new LinkedHashMap<>();
            families.put(f, byName);
            String p = prefix.toLowerCase(Locale.ROOT);
            for (String actual : o.keys()) {
                if (!actual.toLowerCase(Locale.ROOT).startsWith(p)) {
                    continue;
                }
                String name = f.nameOf(actual.substring(prefix.length()));
                if (name == null || !f.names.matcher(name).matches()) {
                    continue;
                }
                o.markRead(actual);
                String raw = o.valueOf(actual);
                if (raw == null) {
                    continue;
                }
                givenKeys.add(actual);
                try {
                    byName.put(name, f.type.parse(raw));
                } catch (OptionType.InvalidValue e) {
                    o.problem(actual, e.describe(f.isSecret(name) ? Secrets.MASK : Text.quote(f.type.shown(raw))));
                }
            }
            o.declare(prefix + f.template);
        }

        private void checkCondition(Option<?, ?> opt) {
            if (opt.conditionOn == null || !isSet(opt) || !isValid(opt.conditionOn)) {
                return;
            }
            if (!opt.condition.test(get(opt.conditionOn))) {
                o.problem(key(opt), "has no effect unless " + prefix + opt.conditionDoc);
            }
        }

        // Required options are checked when a section is used, not for every section a policy could have.
        @SuppressWarnings("unchecked")
        Object build() {
            for (Object e : schema.entries) {
                if (e instanceof Option) {
                    Option<?, ?> opt = (Option<?, ?>) e;
                    if (opt.requiredHint != null && !isGiven(opt)) {
                        o.problem(key(opt), opt.requiredHint.isEmpty() ? "is required" : "is required (" + opt.requiredHint + ")");
                    }
                }
            }
            return ((OptionSchema<Object>) schema).build.apply(this);
        }

        /** The value read, or the default when the option is not set or its value is invalid. */
        @SuppressWarnings("unchecked")
        public <T> T get(Option<?, T> opt) {
            Object v = parsed.get(requireMine(opt));
            return v != null ? (T) v : opt.defaultValue;
        }

        /** True if the option was set (to a valid value or not). */
        public boolean isGiven(Option<?, ?> opt) {
            return Boolean.TRUE.equals(given.get(requireMine(opt)));
        }

        /** True if the option was set to a valid value. */
        public boolean isSet(Option<?, ?> opt) {
            return parsed.containsKey(requireMine(opt));
        }

        /** True if the option is not set, or set to a valid value. */
        public boolean isValid(Option<?, ?> opt) {
            return !isGiven(opt) || isSet(opt);
        }

        /** The values of a key family by name (valid ones only). */
        @SuppressWarnings("unchecked")
        public <T> Map<String, T> family(Family<?, T> f) {
            Map<String, Object> m = families.get(f);
            if (m == null) {
                throw new IllegalArgumentException("family " + f.template + " is not in this schema");
            }
            return (Map<String, T>) (Map<String, ?>) m;
        }

        /** The actual keys of a family's entries that were set, by name (invalid ones included). */
        public List<String> familyNames(Family<?, ?> f) {
            List<String> out = new ArrayList<>();
            String p = prefix.toLowerCase(Locale.ROOT);
            for (String actual : o.keys()) {
                if (actual.toLowerCase(Locale.ROOT).startsWith(p)) {
                    String name = f.nameOf(actual.substring(prefix.length()));
                    if (name != null && f.names.matcher(name).matches() && o.valueOf(actual) != null) {
                        out.add(name);
                    }
                }
            }
            return out;
        }

        /** Builds a nested section from its values (its cross-field checks run now). */
        @SuppressWarnings("unchecked")
        public <T> T section(Section<?, T> s) {
            Values child = sections.get(s);
            if (child == null) {
                throw new IllegalArgumentException("section " + s.prefix + " is not in this schema");
            }
            return (T) child.build();
        }

        /** The full keys set in a nested section. */
        public List<String> givenKeys(Section<?, ?> s) {
            Values child = sections.get(s);
            return child == null ? List.of() : List.copyOf(child.givenKeys);
        }

        /** The full key of an option, for messages. */
        public String key(Option<?, ?> opt) {
            return prefix + opt.key;
        }

        /** The prefix this section is read under. */
        public String prefix() {
            return prefix;
        }

        /** Records a cross-field problem about {@code opt}. Never put a secret value in {@code message}. */
        public void problem(Option<?, ?> opt, String message) {
            o.problem(key(opt), message);
        }

        /** Records a problem about a full key (a family entry, or a key of a nested section). */
        public void problem(String fullKey, String message) {
            o.problem(fullKey, message);
        }

        /** How many problems were recorded so far, in this section and everywhere else. */
        public int problemCount() {
            return o.problems().size();
        }

        private Option<?, ?> requireMine(Option<?, ?> opt) {
            if (!given.containsKey(opt)) {
                throw new IllegalArgumentException("option " + opt.key + " is not in this schema");
            }
            return opt;
        }
    }
}
