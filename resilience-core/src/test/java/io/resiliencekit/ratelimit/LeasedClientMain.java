package io.resiliencekit.ratelimit;

import io.resiliencekit.time.Ticker;
import io.resiliencekit.http.HttpJsonClient;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A client JVM for {@link JdbcTokenAuthorityTest}: a leased bucket on the JDBC authority, saturated
 * demand, one real HTTP request per admitted permit. Args: jdbcUrl user table bucket rate burst
 * simulatorBaseUri durationMillis clientId. The password comes from RK_JDBC_PASSWORD. Prints
 * {@code READY} once set up, then waits for a line {@code GO <startEpochMillis>} on standard input
 * (so a slow JVM start on a loaded machine cannot eat into the measured window), then prints one
 * summary line: {@code RESULT admitted=.. requests=.. failures=..}.
 */
public final class LeasedClientMain {

    public static void main(String[] a) throws Exception {
        String url = a[0];
        String user = a[1];
        String table = a[2];
        String bucket = a[3];
        double rate = Double.parseDouble(a[4]);
        long burst = Long.parseLong(a[5]);
        URI target = URI.create(a[6]);
        long duration = Long.parseLong(a[7]);
        String clientId = a[8];
        HttpJsonClient api = HttpJsonClient.builder().baseUri(target)
            .connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2)).build();
        api.get("/health"); // warm up the connection on a URL the simulator does not count
        JdbcTokenAuthority authority = JdbcTokenAuthority.fromUrl(url, user, System.getenv("RK_JDBC_PASSWORD"), table,
            Ticker.system());
        LeasedTokenBucket limiter = TokenBucket.builder(bucket).rate(rate).burst(burst).clientId(clientId)
            .expectedClients(2).buildLeased(authority);
        System.out.println("READY");
        System.out.flush();
        String go = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
            java.nio.charset.StandardCharsets.UTF_8)).readLine();
        if (go == null || !go.startsWith("GO ")) {
            throw new IllegalStateException("expected 'GO <startEpochMillis>', got " + go);
        }
        long start = Long.parseLong(go.substring(3).trim());
        while (System.currentTimeMillis() < start) {
            Thread.sleep(1);
        }
        long end = start + duration;
        long admitted = 0;
        long requestsAtStart = limiter.authorityRequests();
        while (System.currentTimeMillis() < end) {
            if (limiter.tryAcquire(1)) {
                admitted++;
                api.post("/records", "{\"id\":\"" + clientId + "-" + admitted + "\"}"); // throws unless 2xx
            } else {
                LockSupport.parkNanos(200_000);
            }
        }
        limiter.close();
        System.out.println("RESULT admitted=" + admitted + " requests=" + (limiter.authorityRequests() - requestsAtStart)
            + " failures=" + limiter.authorityFailures() + " lease=" + limiter.leasePeriod().toMillis());
        authority.close();
        System.exit(0);
    }
}
