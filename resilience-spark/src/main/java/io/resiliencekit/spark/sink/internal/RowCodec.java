package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.config.Options;
import io.resiliencekit.spark.sink.SinkOptions;
import java.io.Serializable;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Turns Spark's internal rows into Java values and one JSON object, for the flat column types a
 * sink can send; checked on the driver so that an unsupported column fails before any task.
 */
public final class RowCodec implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    enum Kind { STRING, INT, LONG, SHORT, BYTE, DOUBLE, FLOAT, BOOLEAN, DECIMAL, DATE, TIMESTAMP, TIMESTAMP_NTZ, BINARY }

    private final StructType schema;
    private final Kind[] kinds;
    private final int[] precision;
    private final int[] scale;
    private final String[] quotedNames;
    private final int keyColumn;
    private final int bodyColumn;

    private RowCodec(StructType schema, Kind[] kinds, int[] precision, int[] scale, int keyColumn, int bodyColumn) {
        this.schema = schema;
        this.kinds = kinds;
        this.precision = precision;
        this.scale = scale;
        this.keyColumn = keyColumn;
        this.bodyColumn = bodyColumn;
        this.quotedNames = new String[kinds.length];
        for (int i = 0; i < kinds.length; i++) {
            StringBuilder sb = new StringBuilder();
            JsonText.string(schema.fields()[i].name(), sb);
            quotedNames[i] = sb.toString();
        }
    }

    /** Checks the columns against the sink's options, recording problems in {@code o}. */
    static RowCodec of(StructType schema, SinkOptions sink, Options o) {
        StructField[] fields = schema == null ? new StructField[0] : schema.fields();
        Kind[] kinds = new Kind[fields.length];
        int[] precision = new int[fields.length];
        int[] scale = new int[fields.length];
        for (int i = 0; i < fields.length; i++) {
            DataType t = fields[i].dataType();
            Kind k = kindOf(t);
            if (k == null) {
                o.problem("column " + fields[i].name(), "has type " + t.simpleString() + ", which the resilient sink cannot "
                    + "write; supported: string, numbers, boolean, decimal, date, timestamp, binary (cast or to_json it)");
                k = Kind.STRING;
            } else if (k == Kind.DECIMAL) {
                precision[i] = ((DecimalType) t).precision();
                scale[i] = ((DecimalType) t).scale();
            }
            kinds[i] = k;
            if (SinkOptions.JDBC.equals(sink.sink()) && !IDENTIFIER.matcher(fields[i].name()).matches()) {
                o.problem("column " + fields[i].name(), "is not a plain SQL identifier (letters, digits, '_'); rename it "
                    + "to the table's column name");
            }
        }
        int key = index(fields, sink.keyColumn(), "keyColumn", o);
        int body = SinkOptions.HTTP.equals(sink.sink()) ? index(fields, sink.httpBodyColumn(), "http.bodyColumn", o) : -1;
        if (body >= 0 && kinds[body] != Kind.STRING) {
            o.problem("http.bodyColumn", "must name a string column, '" + fields[body].name() + "' is "
                + fields[body].dataType().simpleString());
        }
        if (SinkOptions.JDBC.equals(sink.sink()) && sink.jdbcKeyColumns() != null) {
            for (String c : sink.jdbcKeyColumns()) {
                index(fields, c, "jdbc.keyColumns", o);
            }
        }
        return new RowCodec(schema, kinds, precision, scale, key, body);
    }

    private static int index(StructField[] fields, String name, String option, Options o) {
        if (name == null) {
            return -1;
        }
        for (int i = 0; i < fields.length; i++) {
            if (fields[i].name().equalsIgnoreCase(name)) {
                return i;
            }
        }
        StringBuilder names = new StringBuilder();
        for (StructField f : fields) {
            names.append(names.length() == 0 ? "" : ", ").append(f.name());
        }
        o.problem(option, "names column '" + name + "', which the written rows do not have (columns: " + names + ")");
        return -1;
    }

    private static Kind kindOf(DataType t) {
        if (t instanceof StringType) return Kind.STRING;
        if (t instanceof IntegerType) return Kind.INT;
        if (t instanceof LongType) return Kind.LONG;
        if (t instanceof ShortType) return Kind.SHORT;
        if (t instanceof ByteType) return Kind.BYTE;
        if (t instanceof DoubleType) return Kind.DOUBLE;
        if (t instanceof FloatType) return Kind.FLOAT;
        if (t instanceof BooleanType) return Kind.BOOLEAN;
        if (t instanceof DecimalType) return Kind.DECIMAL;
        if (t instanceof DateType) return Kind.DATE;
        if (t instanceof TimestampType) return Kind.TIMESTAMP;
        if (t instanceof TimestampNTZType) return Kind.TIMESTAMP_NTZ;
        if (t instanceof BinaryType) return Kind.BINARY;
        return null;
    }

    public StructType schema() {
        return schema;
    }

    /** Index of the key column, or -1. */
    public int keyColumn() {
        return keyColumn;
    }

    /** Index of the http body column, or -1. */
    public int bodyColumn() {
        return bodyColumn;
    }

    /** The row's values as Java objects (copied out of Spark's reused row). */
    public Object[] values(InternalRow row) {
        Object[] v = new Object[kinds.length];
        for (int i = 0; i < kinds.length; i++) {
            if (row.isNullAt(i)) {
                continue;
            }
            v[i] = switch (kinds[i]) {
                case STRING -> row.getUTF8String(i).toString();
                case INT -> row.getInt(i);
                case LONG -> row.getLong(i);
                case SHORT -> row.getShort(i);
                case BYTE -> row.getByte(i);
                case DOUBLE -> row.getDouble(i);
                case FLOAT -> row.getFloat(i);
                case BOOLEAN -> row.getBoolean(i);
                case DECIMAL -> row.getDecimal(i, precision[i], scale[i]).toJavaBigDecimal();
                case DATE -> LocalDate.ofEpochDay(row.getInt(i));
                case TIMESTAMP -> micros(row.getLong(i));
                case TIMESTAMP_NTZ -> LocalDateTime.ofInstant(micros(row.getLong(i)), ZoneOffset.UTC);
                case BINARY -> row.getBinary(i).clone();
            };
        }
        return v;
    }

    private static Instant micros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    /** The values as one JSON object: dates and timestamps ISO-8601, binary base64, non-finite numbers as strings. */
    public String json(Object[] values) {
        StringBuilder sb = new StringBuilder(32 + values.length * 16);
        sb.append('{');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(quotedNames[i]).append(':');
            Object v = values[i];
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String s) {
                JsonText.string(s, sb);
            } else if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
                JsonText.string(v.toString(), sb);
            } else if (v instanceof Number || v instanceof Boolean) {
                sb.append(v instanceof java.math.BigDecimal b ? b.toPlainString() : v.toString());
            } else if (v instanceof byte[] bytes) {
                JsonText.string(Base64.getEncoder().encodeToString(bytes), sb);
            } else {
                JsonText.string(v.toString(), sb);
            }
        }
        return sb.append('}').toString();
    }
}
