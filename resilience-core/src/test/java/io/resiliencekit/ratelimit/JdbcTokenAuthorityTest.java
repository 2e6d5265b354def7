package io.resiliencekit.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.testkit.FlakyApiServer;
import io.resiliencekit.testkit.RateWindows;
import io.resiliencekit.time.ManualTicker;
import io.resiliencekit.time.Ticker;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JDBC authority on a real PostgreSQL (embedded from Maven), and done-when 2: two client JVMs
 * share one quota through it while sending to a real HTTP server that counts what it receives.
 */
class JdbcTokenAuthorityTest {

    static EmbeddedPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.start();
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    private static String url() {
        return pg.getJdbcUrl("postgres", "postgres");
    }

    @Test
    void createsItsTableOnDemand_andKeepsOneRowPerBucket() throws Exception {
        ManualTicker ticker = new ManualTicker();
        try (JdbcTokenAuthority a = new JdbcTokenAuthority(pg.getPostgresDatabase(), "rk_quota_a", ticker)) {
            LeaseResponse r1 = a.requestLease(new LeaseRequest("b1", "c1", 10, 10, 1_000_000_000L, 0, 100, 10));
            LeaseResponse r2 = a.requestLease(new LeaseRequest("b1", "c2", 10, 10, 1_000_000_000L, 0, 100, 10));
            a.requestLease(new LeaseRequest("b2", "c1", 10, 10, 1_000_000_000L, 0, 1, 10));
            assertThat(r1.grantedTokens() + r2.grantedTokens()).isLessThanOrEqualTo(10); // debited at grant: never above B
            assertThat(r2.knownClients()).isEqualTo(2);
        }
        try (Connection c = pg.getPostgresDatabase().getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM rk_quota_a")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        }
    }

    @Test
    void grantsFromConcurrentAuthorities_neverExceedTheBucket() throws Exception {
        // two authority instances (as in two JVMs) on one row, hammered from 4 threads on a frozen clock
        ManualTicker ticker = new ManualTicker();
        JdbcTokenAuthority a1 = new JdbcTokenAuthority(pg.getPostgresDatabase(), "rk_quota_b", ticker);
        JdbcTokenAuthority a2 = new JdbcTokenAuthority(pg.getPostgresDatabase(), "rk_quota_b", ticker);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        ConcurrentLinkedQueue<Long> grants = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < 4; t++) {
            JdbcTokenAuthority a = t % 2 == 0 ? a1 : a2;
            String client = "c" + t;
            pool.submit(() -> {
                for (int i = 0; i < 25; i++) {
                    grants.add(a.requestLease(new LeaseRequest("hot", client, 100, 500, 10_000_000_000L, 0, 7, 100))
                        .grantedTokens());
                }
                return null;
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(grants).hasSize(100);
        assertThat(grants.stream().mapToLong(Long::longValue).sum()).isEqualTo(500); // all of B, not one token more
        a1.close();
        a2.close();
    }

    @Test
    void rejectsUnsafeTableNames() {
        assertThatThrownBy(() -> new JdbcTokenAuthority(pg.getPostgresDatabase(), "quota; DROP TABLE x", Ticker.system()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jdbc.table");
    }

    @Test
    void unreachableDatabase_failsWithoutLeakingThePassword_andTheClientFallsBack() {
        ManualTicker ticker = new ManualTicker();
        JdbcTokenAuthority dead = JdbcTokenAuthority.fromUrl("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=1",
            "app", "hunter2", "quota", ticker);
        assertThatThrownBy(() -> dead.requestLease(new LeaseRequest("b", "c", 10, 10, 1_000_000_000L, 0, 1, 1)))
            .isInstanceOf(TokenAuthorityException.class)
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        VirtualScheduler scheduler = new VirtualScheduler(ticker, 0);
        LeasedTokenBucket b = TokenBucket.builder("b").rate(100).burst(100).expectedClients(4).ticker(ticker)
            .scheduler(scheduler).buildLeased(dead);
        assertThat(b.tryAcquire(1)).isFalse();
        scheduler.runDue();
        assertThat(b.inFallback()).isTrue();
        long admitted = 0;
        for (int ms = 0; ms < 2000; ms++) {
            ticker.advance(Duration.ofMillis(1));
            if (b.tryAcquire(1)) {
                admitted++;
            }
        }
        assertThat(admitted).isBetween(45L, 50L); // the safe rate R / 4 = 25/s
    }

    /** Done-when 2 and 4 across real JVMs, real PostgreSQL, real HTTP. */
    @Test
    void twoJvmsShareOneQuota_throughTheJdbcAuthority() throws Exception {
        double rate = 200;
        long burst = 100;
        long durationMs = 5_000;
        FlakyApiServer server = FlakyApiServer.builder().start();
        String target = server.baseUri().toString();
        List<Process> processes = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), LeasedClientMain.class.getName(), url(), "postgres",
                    "rk_quota_jvm", "shared-api", Double.toString(rate), Long.toString(burst), target,
                    Long.toString(durationMs), "jvm-" + i);
                pb.environment().put("RK_JDBC_PASSWORD", "");
                pb.redirectErrorStream(true);
                processes.add(pb.start());
            }
            // both clients start their measured window together once both are set up, however long
            // their JVMs took to start (a loaded CI machine once took longer than a fixed lead time)
            List<BufferedReader> outputs = new ArrayList<>();
            List<StringBuilder> logs = new ArrayList<>();
            for (Process p : processes) {
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                StringBuilder all = new StringBuilder();
                for (String line; (line = r.readLine()) != null && !line.equals("READY"); ) {
                    all.append(line).append('\n');
                }
                outputs.add(r);
                logs.add(all);
            }
            long startAt = System.currentTimeMillis() + 300;
            for (Process p : processes) {
                p.getOutputStream().write(("GO " + startAt + "\n").getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().flush();
            }
            long totalAdmitted = 0;
            double requestsPerClientPerSecond = 0;
            for (int i = 0; i < processes.size(); i++) {
                Process p = processes.get(i);
                String result = null;
                StringBuilder all = logs.get(i);
                try (BufferedReader r = outputs.get(i)) {
                    for (String line; (line = r.readLine()) != null; ) {
                        all.append(line).append('\n');
                        if (line.startsWith("RESULT")) {
                            result = line;
                        }
                    }
                }
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(result).as("client output:\n%s", all).isNotNull();
                Matcher m = Pattern.compile("admitted=(\\d+) requests=(\\d+) failures=(\\d+)").matcher(result);
                assertThat(m.find()).isTrue();
                totalAdmitted += Long.parseLong(m.group(1));
                requestsPerClientPerSecond += Long.parseLong(m.group(2)) / (durationMs / 1000.0) / 2;
                assertThat(Long.parseLong(m.group(3))).as("authority failures").isZero();
                System.out.println(result);
            }
            Thread.sleep(200);
            long arrivals = server.receivedCount();
            long max1s = server.maxInWindow(Duration.ofSeconds(1));
            long max2s = server.maxInWindow(Duration.ofSeconds(2));
            System.out.printf(Locale.ROOT, "two JVMs: %d arrivals, max in any 1 s %d, in any 2 s %d; "
                + "%.2f authority requests per client per second%n", arrivals, max1s, max2s,
                requestsPerClientPerSecond);
            assertThat(arrivals).isEqualTo(totalAdmitted);
            assertThat(max1s).isLessThanOrEqualTo((long) rate + burst);
            assertThat(max2s).isLessThanOrEqualTo((long) (2 * rate) + burst);
            // the quota used, as a user sees it once the clients have their share (within two leases,
            // as documented): the mean of the full seconds at the simulator over R, the partial first and
            // last seconds left out (the same measure as the cluster rate test)
            double utilisation = RateWindows.interiorUtilisation(server.receivedPerSecond(), rate);
            System.out.printf(Locale.ROOT, "utilisation of R over the full seconds: %.3f%n", utilisation);
            // A sanity floor, not the figure. How close to R the clients get is a speed goal: printed,
            // recorded in docs/benchmarks.md, and asserted at 95% on virtual time by the lease
            // simulations (LeasedTokenBucketSimulationTest), where no machine's load can move it. On real
            // time a 95% floor fails without a defect (0.941 once at load 5); 0.6 still fails a client
            // that loses its share or gets no lease for a term in two.
            assertThat(utilisation).as("mean of the full seconds / R (sanity floor)").isGreaterThanOrEqualTo(0.6);
            assertThat(requestsPerClientPerSecond).isLessThan(20);
        } finally {
            processes.forEach(Process::destroyForcibly);
            server.close();
        }
    }

    private static String javaBin() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }
}
