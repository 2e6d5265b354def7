package io.resiliencekit.spark;


import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;

import org.junit.jupiter.api.Test;

/**
 * What crosses Spark's RPC is a {@code byte[]}, and reading it needs no class loader but the
 * plugin's: on an executor, Spark's RPC threads cannot see jars added by {@code --packages}
 * (DeploymentIT in spark-compat runs that for real).
 */
class RpcMessagesTest {

    @Test
    void messagesTravelAsBytesAndDecodeWhereTheThreadSeesNoneOfOurClasses() throws Exception {
        byte[] wire = RpcMessages.encode(new RpcMessages.Request("7", "svc", new TestMessages.Ping(42)));
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        Object decoded;
        try (URLClassLoader bootstrapOnly = new URLClassLoader(new URL[0], null)) {
            t.setContextClassLoader(bootstrapOnly);   // like an executor's RPC thread: no user jars
            decoded = RpcMessages.decode(wire);
        } finally {
            t.setContextClassLoader(before);
        }
        assertThat(decoded).isInstanceOf(RpcMessages.Request.class);
        RpcMessages.Request r = (RpcMessages.Request) decoded;
        assertThat(r.caller).isEqualTo("7");
        assertThat(r.service).isEqualTo("svc");
        assertThat(r.payload).isInstanceOfSatisfying(TestMessages.Ping.class, p -> assertThat(p.n).isEqualTo(42));
    }
}
