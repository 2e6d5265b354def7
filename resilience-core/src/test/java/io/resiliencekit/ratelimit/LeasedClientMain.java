package io.resiliencekit.ratelimit;

import io.resiliencekit.time.Ticker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A client JVM for {@link JdbcTokenAuthorityTest}: a leased bucket on the JDBC authority, saturated
 * demand, one real HTTP request per admitted permit. Args: jdbcUrl user table bucket rate burst
 * targetUrl startEpochMillis durationMillis clientId. The password comes from RK_JDBC_PASSWORD.
 * Prints one summary line: {@code RESULT admitted=.. requests=.. failures=..}.
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
        long start = Long.parseLong(a[7]);
        long duration = Long.parseLong(a[8]);
        String clientId = a[9];
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(2)).GET().build();
        // warm up the connection on an uncounted URL (the counted one carries a query)
        http.send(HttpRequest.newBuilder(new URI(target.getScheme(), null, target.getHost(), target.getPort(), target.getPath(),
            null, null)).GET().build(), HttpResponse.BodyHandlers.discarding());
        JdbcTokenAuthority authority = JdbcTokenAuthority.fromUrl(url, user, System.getenv("RK_JDBC_PASSWORD"), table,
            Ticker.system());
        LeasedTokenBucket limiter = TokenBucket.builder(bucket).rate(rate).burst(burst).clientId(clientId)
            .expectedClients(2).buildLeased(authority);
        while (System.currentTimeMillis() < start) {
            Thread.sleep(1);
        }
        long end = start + duration;
        long admitted = 0;
        long requestsAtStart = limiter.authorityRequests();
        while (System.currentTimeMillis() < end) {
            if (limiter.tryAcquire(1)) {
                admitted++;
                HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("status " + r.statusCode());
                }
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
