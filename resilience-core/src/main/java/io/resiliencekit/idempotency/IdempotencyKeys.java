package io.resiliencekit.idempotency;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Derives deterministic idempotency keys: {@code namespace:runId:businessKey} or
 * {@code namespace:runId:sha256(canonical record)}. The same record in the same logical run
 * gets the same key in every task attempt, speculative copy, executor and re-run of the job.
 *
 * <pre>{@code
 * IdempotencyKeys keys = IdempotencyKeys.namespace("payments");
 * String runId = "batch-2026-01-31";                        // the logical run: a batch id or trigger date
 * String k1 = keys.forBusinessKey(runId, order.id());       // "payments:batch-2026-01-31:ord-123"
 * String k2 = keys.forContent(runId, Map.of("id", 123, "amount", "9.90")); // "...:sha256:3f1c..."
 * }</pre>
 *
 * <p>The run id names the logical run (a batch id, a streaming batch id, a scheduler's logical
 * date such as {@code 2026-01-31}) and must never be derived from the wall clock at execution time
 * or from a task attempt id: either makes every retry a "new" call, which defeats deduplication.
 * Obviously bad run ids are rejected: blank, containing {@code attempt}, long digit strings that
 * look like {@code System.currentTimeMillis()} or {@code nanoTime()} (13 or more digits), and
 * timestamps with fractional seconds.
 *
 * <p>Keys use only {@code A-Z a-z 0-9 . _ - : / @ + = ~} and are at most 255 characters; anything
 * else is rejected with a message naming the part at fault (hash awkward business keys with
 * {@link #forContent}).
 */
public final class IdempotencyKeys implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Longest key accepted (the IETF Idempotency-Key draft and most stores are fine with this). */
    public static final int MAX_KEY_LENGTH = 255;

    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}");
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9._\\-:/@+=~]+");
    private static final Pattern LONG_DIGITS = Pattern.compile(".*\\d{13,}.*");
    private static final Pattern FRACTIONAL_TIME = Pattern.compile(".*\\d{2}[:\\-]?\\d{2}[:\\-]?\\d{2}[.,]\\d{1,9}.*");

    private static final String CONTENT_SCOPE = "sha256";

    private final String namespace;
    // the last prefixes built, so a run's keys validate its run id once (a race only builds one twice)
    private transient volatile Prefix lastRun;
    private transient volatile Prefix lastScoped;

    private IdempotencyKeys(String namespace) {
        this.namespace = namespace;
    }

    /** Keys under {@code namespace} (letters, digits, {@code . _ -}; at most 64 characters). */
    public static IdempotencyKeys namespace(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("idempotency namespace must be 1-64 characters of letters, digits, "
                + "'.', '_' or '-' (starting with a letter or digit), was '" + namespace + "'");
        }
        return new IdempotencyKeys(namespace);
    }

    public String namespace() {
        return namespace;
    }

    /** {@code namespace:runId:businessKey}. */
    public String forBusinessKey(String runId, String businessKey) {
        Prefix p = prefix(runId, null);
        if (businessKey == null) {
            throw new IllegalArgumentException("business key is null: the key function must return the record's "
                + "business key (a null key would make every such record the same key)");
        }
        if (!isKey(businessKey)) {
            throw new IllegalArgumentException("business key '" + abbreviate(businessKey) + "' must be non-empty and use only "
                + "A-Z a-z 0-9 . _ - : / @ + = ~; use forContent(runId, value) to hash other values");
        }
        return checkLength(p.text.length() + businessKey.length(), p.text, businessKey);
    }

    /** {@code namespace:runId:businessKey} for a numeric business key. */
    public String forBusinessKey(String runId, long businessKey) {
        return forBusinessKey(runId, Long.toString(businessKey));
    }

    /** {@code namespace:runId:sha256:<hex>} over the {@link CanonicalForm} of {@code record}. */
    public String forContent(String runId, Object record) {
        return forContent(runId, CONTENT_SCOPE, record);
    }

    /**
     * {@code namespace:runId:scope:<hex>}: the SHA-256 of {@code record}'s {@link CanonicalForm} within a
     * scope of the run (such as a partition, {@code "p7"}). The encoding streams into the digest and the
     * key is built once, straight from the digest.
     */
    public String forContent(String runId, String scope, Object record) {
        return CanonicalForm.sha256Text(hashPrefix(runId, scope), record, null);
    }

    /** {@code namespace:runId:sha256:<hex>} over raw bytes you already canonicalised. */
    public String forBytes(String runId, byte[] canonicalBytes) {
        return forBytes(runId, CONTENT_SCOPE, canonicalBytes);
    }

    /** {@code namespace:runId:scope:<hex>} over raw bytes you already canonicalised. */
    public String forBytes(String runId, String scope, byte[] canonicalBytes) {
        return CanonicalForm.sha256Text(hashPrefix(runId, scope), null, Objects.requireNonNull(canonicalBytes, "bytes"));
    }

    /**
     * A key for a record identified by a digest of its content within a scope of the run (such as a
     * partition: {@code "p7"}), for callers that already computed the digest as the payload's
     * fingerprint: {@code namespace:runId:scope:fingerprint}.
     */
    public String forFingerprint(String runId, String scope, String fingerprintHex) {
        Prefix p = prefix(runId, scope);
        if (fingerprintHex == null || !isKey(fingerprintHex)) {
            throw new IllegalArgumentException("fingerprint must use only A-Z a-z 0-9 . _ - : / @ + = ~, was '"
                + (fingerprintHex == null ? "null" : abbreviate(fingerprintHex)) + "'");
        }
        return checkLength(p.text.length() + fingerprintHex.length(), p.text, fingerprintHex);
    }

    /** {@code namespace:runId:} or {@code namespace:runId:scope:}, validated and built once per run id and scope. */
    private Prefix prefix(String runId, String scope) {
        Prefix p = scope == null ? lastRun : lastScoped;
        if (p != null && p.matches(runId, scope)) {
            return p;
        }
        validateRunId(runId);
        if (scope != null && !isKey(scope)) {
            throw new IllegalArgumentException("key scope '" + abbreviate(scope) + "' must be non-empty and use only "
                + "A-Z a-z 0-9 . _ - : / @ + = ~");
        }
        p = new Prefix(runId, scope, namespace + ':' + runId + ':' + (scope == null ? "" : scope + ':'));
        if (scope == null) {
            lastRun = p;
        } else {
            lastScoped = p;
        }
        return p;
    }

    private byte[] hashPrefix(String runId, String scope) {
        Prefix p = prefix(runId, scope);
        if (p.text.length() + 64 > MAX_KEY_LENGTH) {
            checkLength(p.text.length() + 64, p.text, "<64 hex digits>");
        }
        return p.bytes;
    }

    /** A validated key prefix: immutable, so one volatile read publishes it whole. */
    private static final class Prefix {
        final String runId;
        final String scope;
        final String text;
        final byte[] bytes;

        Prefix(String runId, String scope, String text) {
            this.runId = runId;
            this.scope = scope;
            this.text = text;
            this.bytes = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        }

        boolean matches(String r, String s) {
            return (runId == r || runId.equals(r)) && (scope == s || (scope != null && scope.equals(s)));
        }
    }

    /**
     * Checks a logical run id and returns it; see the class comment for what is rejected and why.
     */
    public static String validateRunId(String runId) {
        Objects.requireNonNull(runId, "runId");
        String problem = runIdProblem(runId);
        if (problem != null) {
            throw new IllegalArgumentException(runId.isBlank() ? "run id " + problem
                : "run id '" + abbreviate(runId) + "' " + problem);
        }
        return runId;
    }

    /**
     * Why {@code runId} is not a usable logical run id, without quoting it (for option messages that
     * show the value their own way), or null if it is fine.
     */
    public static String runIdProblem(String runId) {
        if (runId == null || runId.isBlank()) {
            return "must not be blank: use the batch id or the scheduler's logical date";
        }
        if (runId.length() > 128 || !PART.matcher(runId).matches()) {
            return "must be at most 128 characters of A-Z a-z 0-9 . _ - : / @ + = ~";
        }
        if (runId.toLowerCase(Locale.ROOT).contains("attempt")) {
            return "looks like a task attempt id; an idempotency key must be the same in every attempt, so use the "
                + "logical run (batch id, logical date)";
        }
        if (LONG_DIGITS.matcher(runId).matches() || FRACTIONAL_TIME.matcher(runId).matches()) {
            return "looks derived from the wall clock (epoch millis, nanoTime or a timestamp with fractions of a "
                + "second); a re-run would get new keys. Use the batch id or the scheduler's logical date (e.g. "
                + "2026-01-31 or 2026-01-31T10:00)";
        }
        return null;
    }

    /** Checks that {@code key} is a usable idempotency key and returns it. */
    public static String validate(String key) {
        if (key == null) {
            throw new IllegalArgumentException("idempotency key must not be null");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("idempotency key is " + key.length() + " characters, at most "
                + MAX_KEY_LENGTH + " allowed: '" + abbreviate(key) + "'");
        }
        if (!isKey(key)) {
            throw new IllegalArgumentException("idempotency key '" + abbreviate(key) + "' must be non-empty and use "
                + "only A-Z a-z 0-9 . _ - : / @ + = ~");
        }
        return key;
    }

    // The allowed characters as a 128-bit set (chars 0-63 in the low word, 64-127 in the high one), checked
    // without a regex Matcher or a chain of comparisons: every store checks every key it is given.
    private static final long KEY_CHARS_LOW = charSet(0, "0123456789.-:/+=");
    private static final long KEY_CHARS_HIGH = charSet(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_@~");

    private static long charSet(int base, String chars) {
        long set = 0L;
        for (int i = 0; i < chars.length(); i++) {
            set |= 1L << (chars.charAt(i) - base);
        }
        return set;
    }

    private static boolean isKey(String key) {
        int n = key.length();
        if (n == 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = key.charAt(i);
            long set = c < 64 ? KEY_CHARS_LOW : c < 128 ? KEY_CHARS_HIGH : 0L;
            if ((set & (1L << c)) == 0) { // a shift takes the low six bits: c - 64 for the high word
                return false;
            }
        }
        return true;
    }

    private static String checkLength(int length, String prefix, String rest) {
        if (length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("idempotency key would be " + length + " characters, at most "
                + MAX_KEY_LENGTH + " allowed; shorten the business key or use forContent: '" + abbreviate(prefix + rest)
                + "'");
        }
        return prefix + rest;
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    @Override
    public String toString() {
        return "IdempotencyKeys{" + namespace + '}';
    }
}
