package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.ServiceKey;

import java.io.Serializable;

/** Small Serializable messages for plugin tests. */
final class TestMessages {

    private TestMessages() {
    }

    static final class Ping implements Serializable {
        private static final long serialVersionUID = 1L;
        final int n;

        Ping(int n) {
            this.n = n;
        }
    }

    static final class Pong implements Serializable {
        private static final long serialVersionUID = 1L;
        final int n;
        final String seenCaller;
        final long driverPid;

        Pong(int n, String seenCaller, long driverPid) {
            this.n = n;
            this.seenCaller = seenCaller;
            this.driverPid = driverPid;
        }
    }

    static final ServiceKey<Ping, Pong> PING = ServiceKey.of("test.ping", Ping.class, Pong.class);
    static final ServiceKey<Ping, Pong> BOOM = ServiceKey.of("test.boom", Ping.class, Pong.class);
    static final ServiceKey<Ping, Pong> MISSING = ServiceKey.of("test.missing", Ping.class, Pong.class);
}
