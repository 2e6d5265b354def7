package io.resiliencekit.spark;

import java.io.Serializable;

/** Wire messages between the executor and driver sides of the plugin (Java-serialized by Spark's RPC). */
final class RpcMessages {

    private RpcMessages() {
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
