package io.resiliencekit.spark.sink;

import io.resiliencekit.config.OptionSchema;
import io.resiliencekit.config.OptionType;
import io.resiliencekit.config.Secrets;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code resilient} data source's own options (the policy's, {@code partition.*} and
 * {@code http.*} client options come with them in the same map; every problem of all of them is
 * reported at once). Types, ranges and defaults: {@code docs/options.md}, generated from
 * {@link #optionSchema()}.
 *
 * <pre>{@code
 * df.write().format("resilient")
 *     .option("sink", "jdbc")
 *     .option("jdbc.url", "jdbc:postgresql://db/shop").option("jdbc.user", "loader").option("jdbc.password", pw)
 *     .option("jdbc.table", "orders").option("partition.runId", "2024-06-01")
 *     .mode("append").save();
 * }</pre>
 */
public final class SinkOptions implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Built-in sinks; any other value of {@code sink} is the class name of your {@link RecordSink}. */
    public static final String HTTP = "http";
    public static final String JDBC = "jdbc";

    /** How the JDBC sink writes a row whose key it has not written yet. */
    public enum JdbcMode {
        /** {@code INSERT ... ON CONFLICT DO NOTHING}: a row the table already holds by its own constraints stays. */
        INSERT,
        /** {@code INSERT ... ON CONFLICT (jdbc.keyColumns) DO UPDATE}: the row replaces the table's. */
        UPSERT
    }

    static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");
    private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)+");
    private static final String IDENTIFIER_RULE = "an SQL identifier: a letter or '_', then letters, digits or '_' (at most 63)";

    private String sink;
    private String keyColumn;
    private boolean healthCheck;
    private String httpPath;
    private String httpHealthPath;
    private String httpBodyColumn;
    private String jdbcUrl;
    private String jdbcUser;
    private String jdbcPassword;
    private String jdbcTable;
    private JdbcMode jdbcMode;
    private List<String> jdbcKeyColumns;
    private String jdbcLedgerTable;
    private int jdbcPoolSize;
    private String jdbcDataSourceFactory;
    private Map<String, String> custom;

    private SinkOptions() {
    }

    private static final OptionSchema.Declarer<SinkOptions> D = OptionSchema.declarer(SinkOptions.class);

    static final OptionSchema.Option<SinkOptions, String> SINK = D.option("sink",
        OptionType.custom("string", "http, jdbc or a class name", t -> {
            String lower = t.toLowerCase(Locale.ROOT);
            if (lower.equals(HTTP) || lower.equals(JDBC)) {
                return lower;
            }
            if (!CLASS_NAME.matcher(t).matches()) {
                throw new OptionType.InvalidValue("must be http, jdbc or the class name of a RecordSink");
            }
            return t;
        }, s -> s), null, SinkOptions::sink,
        "Where rows go: `http` (JSON POST per row), `jdbc` (batched inserts) or the class name of your `RecordSink`.")
        .required("http, jdbc or a RecordSink class name");
    static final OptionSchema.Option<SinkOptions, String> KEY_COLUMN = D.option("keyColumn", OptionType.text(), null,
        SinkOptions::keyColumn, "Column whose value is the row's business key in its idempotency key; without it, the "
            + "partition, a SHA-256 of the row's JSON and the occurrence of that content in the partition.")
        .defaultDoc("none: content-derived");
    static final OptionSchema.Option<SinkOptions, Boolean> HEALTH_CHECK = D.option("healthCheck", OptionType.bool(), true,
        SinkOptions::healthCheck, "Check on the driver, before any task starts, that the target is reachable and "
            + "accepts the credentials.");
    static final OptionSchema.Option<SinkOptions, String> HTTP_PATH = D.option("http.path", OptionType.text(), "/",
        c -> c.isHttp() ? c.httpPath : null, "Path under `http.baseUri` that each row is POSTed to, with an `Idempotency-Key` header.")
        .onlyWhen(SINK, HTTP::equals, "sink is http");
    static final OptionSchema.Option<SinkOptions, String> HTTP_HEALTH_PATH = D.option("http.healthPath", OptionType.text(),
        null, c -> c.isHttp() ? c.httpHealthPath : null, "Path the health check GETs: a connection failure, a 401/403 or a 5xx fails "
            + "the write before any task starts; any other answer passes.")
        .defaultDoc("http.path").onlyWhen(SINK, HTTP::equals, "sink is http");
    static final OptionSchema.Option<SinkOptions, String> HTTP_BODY_COLUMN = D.option("http.bodyColumn", OptionType.text(),
        null, c -> c.isHttp() ? c.httpBodyColumn : null, "A string column holding each request's JSON body; without it, the row as a "
            + "JSON object.").defaultDoc("the row as JSON").onlyWhen(SINK, HTTP::equals, "sink is http");
    static final OptionSchema.Option<SinkOptions, String> JDBC_URL = D.option("jdbc.url", OptionType.jdbcUrl(), null,
        c -> c.isJdbc() ? c.jdbcUrl : null, "Database of the jdbc sink (PostgreSQL); connections come from a HikariCP pool per "
            + "executor.").defaultDoc("required unless jdbc.dataSourceFactory").onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, String> JDBC_USER = D.option("jdbc.user", OptionType.text(), null,
        c -> c.isJdbc() ? c.jdbcUser : null, "Database user.").onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, String> JDBC_PASSWORD = D.option("jdbc.password", OptionType.text(),
        null, c -> c.isJdbc() ? c.jdbcPassword : null, "Database password.").secret().onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, String> JDBC_TABLE = D.option("jdbc.table",
        OptionType.matching(TABLE, "a table name such as orders or shop.orders"), null, c -> c.isJdbc() ? c.jdbcTable : null,
        "Target table; its columns are the write's column names.").defaultDoc("required when sink is jdbc")
        .onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, JdbcMode> JDBC_MODE = D.option("jdbc.mode",
        OptionType.enumeration(JdbcMode.class), JdbcMode.INSERT, c -> c.isJdbc() ? c.jdbcMode : null,
        "insert: insert-if-absent (`ON CONFLICT DO NOTHING`); upsert: `ON CONFLICT (jdbc.keyColumns) DO UPDATE`.")
        .onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, List<String>> JDBC_KEY_COLUMNS = D.option("jdbc.keyColumns",
        OptionType.custom("list", "comma-separated SQL identifiers", t -> {
            List<String> cols = Arrays.stream(t.split(",")).map(String::strip).toList();
            for (String c : cols) {
                if (!IDENTIFIER.matcher(c).matches()) {
                    throw new OptionType.InvalidValue("must be " + IDENTIFIER_RULE + ", comma-separated");
                }
            }
            return cols;
        }, l -> String.join(",", l)), null, c -> c.isJdbc() ? c.jdbcKeyColumns : null,
        "The table's unique columns an upsert resolves conflicts on.").defaultDoc("required when jdbc.mode is upsert")
        .onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, String> JDBC_LEDGER_TABLE = D.option("jdbc.ledgerTable",
        OptionType.matching(TABLE, "a table name such as resilient_sink_ledger"), "resilient_sink_ledger",
        c -> c.isJdbc() ? c.jdbcLedgerTable : null, "Keys written, inserted in the same transaction as their rows (created if "
            + "absent): a retried, speculative or re-run task never repeats a row.")
        .onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, Integer> JDBC_POOL_SIZE = D.option("jdbc.poolSize",
        OptionType.integer(1, 256), 4, c -> c.isJdbc() ? c.jdbcPoolSize : null, "Connections per executor JVM (HikariCP).")
        .onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Option<SinkOptions, String> JDBC_DATA_SOURCE_FACTORY = D.option("jdbc.dataSourceFactory",
        OptionType.matching(CLASS_NAME, "a class name"), null, c -> c.isJdbc() ? c.jdbcDataSourceFactory : null,
        "Class name of your `java.util.function.Supplier<javax.sql.DataSource>` (public, no-argument constructor), "
            + "called once per executor JVM, instead of jdbc.url/user/password.")
        .onlyWhen(SINK, JDBC::equals, "sink is jdbc");
    static final OptionSchema.Family<SinkOptions, String> CUSTOM = D.family("custom.<name>", Pattern.compile(".+"),
        OptionType.text(), SinkOptions::custom, "Options of your own RecordSink, read with `SinkContext.option(name)`.")
        .secretWhen(Secrets::isSecret, "when named like a secret");

    static final OptionSchema<SinkOptions> SCHEMA = OptionSchema.<SinkOptions>builder("Sink (`format(\"resilient\")`)")
        .description("The data source's own options. In the same map: the policy's options (`name` defaults to "
            + "`resilient-<sink>-<hash of the policy options>`, so writes with the same policy options share one policy and "
            + "quota; for `http` and your own sinks an idempotency guard is on, `idempotency.store=auto`, "
            + "unless `idempotency.*` is given), `partition.*` (`partition.runId` is required; `partition.batchSize` "
            + "defaults to 500 for `jdbc`) and, for `http`, the HTTP client's `http.baseUri`, `http.connectTimeout`, "
            + "`http.requestTimeout` and `http.header.<name>`. Keys are case-insensitive; every problem is reported at "
            + "once on the driver before any task starts.")
        .addAll(D)
        .build(SinkOptions::fromValues);

    private static SinkOptions fromValues(OptionSchema.Values v) {
        SinkOptions o = new SinkOptions();
        o.sink = v.get(SINK);
        o.keyColumn = v.get(KEY_COLUMN);
        o.healthCheck = v.get(HEALTH_CHECK);
        o.httpPath = v.get(HTTP_PATH);
        o.httpHealthPath = v.get(HTTP_HEALTH_PATH);
        o.httpBodyColumn = v.get(HTTP_BODY_COLUMN);
        o.jdbcUrl = v.get(JDBC_URL);
        o.jdbcUser = v.get(JDBC_USER);
        o.jdbcPassword = v.get(JDBC_PASSWORD);
        o.jdbcTable = v.get(JDBC_TABLE);
        o.jdbcMode = v.get(JDBC_MODE);
        o.jdbcKeyColumns = v.get(JDBC_KEY_COLUMNS);
        o.jdbcLedgerTable = v.get(JDBC_LEDGER_TABLE);
        o.jdbcPoolSize = v.get(JDBC_POOL_SIZE);
        o.jdbcDataSourceFactory = v.get(JDBC_DATA_SOURCE_FACTORY);
        o.custom = Map.copyOf(v.family(CUSTOM));
        if (JDBC.equals(o.sink)) {
            if (o.jdbcTable == null && v.isValid(JDBC_TABLE)) {
                v.problem(JDBC_TABLE, "is required when " + v.key(SINK) + " is jdbc");
            }
            if (o.jdbcUrl == null && o.jdbcDataSourceFactory == null && v.isValid(JDBC_URL)) {
                v.problem(JDBC_URL, "is required when " + v.key(SINK) + " is jdbc (or give " + v.key(JDBC_DATA_SOURCE_FACTORY) + ")");
            }
            if (o.jdbcUrl != null && o.jdbcDataSourceFactory != null) {
                v.problem(JDBC_DATA_SOURCE_FACTORY, "cannot be combined with " + v.key(JDBC_URL) + "; give one of them");
            }
            if (o.jdbcMode == JdbcMode.UPSERT && o.jdbcKeyColumns == null && v.isValid(JDBC_KEY_COLUMNS)) {
                v.problem(JDBC_KEY_COLUMNS, "is required when " + v.key(JDBC_MODE) + " is upsert");
            }
        }
        return o;
    }

    /** The data source's own options: keys, types, ranges, defaults and docs. */
    public static OptionSchema<SinkOptions> optionSchema() {
        return SCHEMA;
    }

    private boolean isHttp() { return HTTP.equals(sink); }
    private boolean isJdbc() { return JDBC.equals(sink); }

    public String sink() { return sink; }
    public String keyColumn() { return keyColumn; }
    public boolean healthCheck() { return healthCheck; }
    public String httpPath() { return httpPath; }
    public String httpHealthPath() { return httpHealthPath == null ? httpPath : httpHealthPath; }
    public String httpBodyColumn() { return httpBodyColumn; }
    public String jdbcUrl() { return jdbcUrl; }
    public String jdbcUser() { return jdbcUser; }
    /** Secret: never log it. */
    public String jdbcPassword() { return jdbcPassword; }
    public String jdbcTable() { return jdbcTable; }
    public JdbcMode jdbcMode() { return jdbcMode; }
    public List<String> jdbcKeyColumns() { return jdbcKeyColumns; }
    public String jdbcLedgerTable() { return jdbcLedgerTable; }
    public int jdbcPoolSize() { return jdbcPoolSize; }
    public String jdbcDataSourceFactory() { return jdbcDataSourceFactory; }
    /** The {@code custom.*} options without their prefix. May hold secrets. */
    public Map<String, String> custom() { return custom; }

    @Override
    public String toString() {
        return "SinkOptions" + SCHEMA.describe(this);
    }
}
