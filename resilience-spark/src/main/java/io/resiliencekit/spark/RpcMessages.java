package io.resiliencekit.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;

/**
 * Wire messages between the executor and driver sides of the plugin.
 *
 * <p>They cross Spark's RPC as {@code byte[]} ({@link #encode}/{@link #decode}), never as our own
 * classes: an executor's RPC layer deserializes with the class loader it was started with, which
 * does not see the jars that {@code spark-submit --packages/--jars} adds (those live in the
 * executor's user class loader), so a reply object of ours fails there with
 * {@code ClassNotFoundException} and Spark drops the executor. {@link #decode} resolves classes
 * through the loader that loaded the plugin, then the thread's context loader (a service's own
 * payload types).
 */
final class RpcMessages {

    private RpcMessages() {
    }

    /** Java-serializes a message into the bytes handed to Spark's RPC. */
    static byte[] encode(Serializable message) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(message);
        } catch (IOException e) {
            throw new IllegalArgumentException("resiliencekit plugin: cannot serialize " + message, e);
        }
        return bytes.toByteArray();
    }

    /** Reads what {@link #encode} wrote, with the plugin's class loader. */
    static Object decode(byte[] message) {
        try (ObjectInputStream in = new PluginObjectInputStream(new ByteArrayInputStream(message))) {
            return in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalArgumentException("resiliencekit plugin: cannot read a message of " + message.length
                    + " bytes: " + e, e);
        }
    }

    private static final class PluginObjectInputStream extends ObjectInputStream {
        PluginObjectInputStream(InputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, RpcMessages.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                ClassLoader context = Thread.currentThread().getContextClassLoader();
                if (context != null) {
                    try {
                        return Class.forName(desc.getName(), false, context);
                    } catch (ClassNotFoundException ignored) {
                        // fall through: primitives and arrays of them
                    }
                }
                return super.resolveClass(desc);
            }
        }
    }

    /** A request to the service {@code service} from executor {@code caller}. */
    static final class Request implements Serializable {
        private static final long serialVersionUID = 1L;
        final String caller;
        final String service;
        final Serializable payload;

        Request(String caller, String service, Serializable payload) {
            this.caller = caller;
            this.service = service;
            this.payload = payload;
        }

        @Override
        public String toString() {
            // never the payload: it may carry keys or business data
            return "Request[" + service + " from " + caller + "]";
        }
    }

    /** Several requests of one executor in one message ({@link GroupedAsks}); answered by a {@link BatchReply}. */
    static final class Batch implements Serializable {
        private static final long serialVersionUID = 1L;
        final Request[] requests;

        Batch(Request[] requests) {
            this.requests = requests;
        }

        @Override
        public String toString() {
            return "Batch[" + requests.length + " requests]";
        }
    }

    /** One {@link Reply} per request of a {@link Batch}, in its order. */
    static final class BatchReply implements Serializable {
        private static final long serialVersionUID = 1L;
        final Reply[] replies;

        BatchReply(Reply[] replies) {
            this.replies = replies;
        }
    }

    /** The service's answer, or the reason it failed (class and message, so no class is needed to read it). */
    static final class Reply implements Serializable {
        private static final long serialVersionUID = 1L;
        final Serializable value;
        final String error;

        private Reply(Serializable value, String error) {
            this.value = value;
            this.error = error;
        }

        static Reply ok(Serializable value) {
            return new Reply(value, null);
        }

        static Reply failed(String error) {
            return new Reply(null, error);
        }
    }
}
