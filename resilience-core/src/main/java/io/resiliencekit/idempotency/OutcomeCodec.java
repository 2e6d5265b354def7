package io.resiliencekit.idempotency;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * Turns an action's result into the bytes an {@link IdempotencyStore} keeps for duplicates, and
 * back. The default is Java serialization for {@link Serializable} results; plug in your own
 * (JSON, protobuf) for other types.
 *
 * <pre>{@code
 * OutcomeCodec statusOnly = new OutcomeCodec() {
 *     public byte[] encode(Object r) { return Integer.toString(((Response) r).status()).getBytes(UTF_8); }
 *     public Object decode(byte[] b) { return new Response(Integer.parseInt(new String(b, UTF_8))); }
 * };
 * IdempotencyConfig.builder().outcomeCodec(statusOnly);
 * }</pre>
 */
public interface OutcomeCodec extends Serializable {

    /**
     * Encodes a result ({@code null} included).
     *
     * @throws IllegalArgumentException if this codec cannot encode the value; the message says what to do
     */
    byte[] encode(Object result);

    Object decode(byte[] bytes);

    /** Java serialization; results must be {@link Serializable} (or null). */
    static OutcomeCodec javaSerialization() {
        return JavaSerialization.INSTANCE;
    }

    /** Java serialization of {@link Serializable} results. */
    final class JavaSerialization implements OutcomeCodec {
        private static final long serialVersionUID = 1L;
        static final JavaSerialization INSTANCE = new JavaSerialization();

        private JavaSerialization() {
        }

        @Override
        public byte[] encode(Object result) {
            if (result != null && !(result instanceof Serializable)) {
                throw new IllegalArgumentException(notSerializable(result.getClass().getName()));
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(result);
            } catch (NotSerializableException e) {
                throw new IllegalArgumentException(notSerializable(e.getMessage()), e);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot serialize result of type " + result.getClass().getName(), e);
            }
            return bytes.toByteArray();
        }

        @Override
        public Object decode(byte[] bytes) {
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
                return in.readObject();
            } catch (IOException | ClassNotFoundException e) {
                throw new IllegalStateException("cannot deserialize a stored idempotency outcome (class changed or "
                    + "missing on this classpath?): " + e, e);
            }
        }

        static String notSerializable(String type) {
            return "result type " + type + " is not java.io.Serializable, so it cannot be stored for duplicates; "
                + "return a Serializable value or configure IdempotencyConfig.Builder.outcomeCodec(...)";
        }

        private Object readResolve() {
            return INSTANCE;
        }
    }
}
