package io.resiliencekit.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 fingerprints of payloads, as lower-case hex (64 characters), for
 * {@link io.resiliencekit.CallContext#fingerprint()} and content-derived keys.
 *
 * <pre>{@code
 * String fp = Fingerprints.of(Map.of("orderId", 42, "amount", new BigDecimal("9.90")));
 * CallContext ctx = CallContext.builder().idempotencyKey(key).fingerprint(fp).build();
 * }</pre>
 */
public final class Fingerprints {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    // MessageDigest is not thread-safe and getInstance is a provider lookup; one per thread.
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    });

    private Fingerprints() {
    }

    private static final byte[] NO_PREFIX = {};

    /** SHA-256 of the record's {@link CanonicalForm}, as hex; the encoding streams into the digest. */
    public static String of(Object record) {
        return CanonicalForm.sha256Text(NO_PREFIX, record, null);
    }

    /** SHA-256 of raw bytes, as hex. */
    public static String sha256Hex(byte[] bytes) {
        return CanonicalForm.sha256Text(NO_PREFIX, null, java.util.Objects.requireNonNull(bytes, "bytes"));
    }

    /** SHA-256 of the UTF-8 bytes of a string, as hex. */
    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of raw bytes. */
    public static byte[] sha256(byte[] bytes) {
        MessageDigest md = SHA256.get();
        md.reset();
        return md.digest(bytes);
    }

    static String hex(byte[] b) {
        char[] out = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            out[2 * i] = HEX[(b[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[b[i] & 0xF];
        }
        return new String(out);
    }
}
