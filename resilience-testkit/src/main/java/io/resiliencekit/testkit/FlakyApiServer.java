package io.resiliencekit.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP JSON API on {@code 127.0.0.1} (ephemeral port) that misbehaves on purpose, and counts
 * exactly what it accepted: per idempotency key, per record id, per second and per time window.
 *
 * <pre>{@code
 * try (FlakyApiServer server = FlakyApiServer.builder()
 *         .seed(7)
 *         .failFirstPerKey(1, Fault.RESET)      // every record's first attempt is reset
 *         .rateLimit(50, 10)                    // 429 + Retry-After above 50/s, burst 10 (unknown to clients)
 *         .randomUnavailable(0.05)              // 5% of requests get 503
 *         .poisonIds("r-13")                    // always 400
 *         .start()) {
 *     // POST {server.baseUri()}/records  {"id":"r-1",...}   (or header X-Record-Id: r-1)
 *     ...
 *     assertThat(server.duplicateEffectCount()).isZero();
 *     assertThat(server.maxInWindow(Duration.ofSeconds(1))).isLessThanOrEqualTo(50 + 10);
 * }
 * }</pre>
 *
 * <h2>Endpoints</h2>
 * <ul>
 *   <li>{@code POST /records}: JSON body. The record id is the {@code X-Record-Id} header, else the
 *       body's top-level {@code "id"} field (string or number; found by a simple pattern, no JSON
 *       parser). Answers {@code 200 {"id":"...","effect":n}} where n numbers the accepted effects.</li>
 *   <li>{@code GET /health}: {@code 200 {"status":"up"}}, or 503 while down in
 *       {@link DownMode#SERVICE_UNAVAILABLE} mode. No other fault applies to it.</li>
 * </ul>
 *
 * <h2>Order of checks for {@code POST /records}</h2>
 * down (503 mode) &rarr; required headers (401) &rarr; rate limit (429) &rarr; injected fault: fail-first per server, then
 * fail-first per key, then random 503 / reset / slow / accepted-then-reset &rarr; poison (400) &rarr;
 * idempotency (replay the stored response, or 422 if the same key comes with another body) &rarr;
 * effect applied (200). A {@link Fault#SLOW} request is processed normally and its response is
 * delayed afterwards; an {@link Fault#ACCEPTED_THEN_RESET} one is processed normally and its
 * connection is then closed without an answer.
 *
 * <h2>Rate limit</h2>
 * The limit is hidden: a client learns of it only from the throttle answers, whose status
 * ({@link Builder#rateLimitStatus}: 429, or 503 for APIs that shed load that way) and headers
 * ({@link Builder#throttleHeaders}: {@code Retry-After} in seconds or as a date, the IETF
 * {@code RateLimit}/{@code RateLimit-Policy} fields, {@code X-RateLimit-*}, or none) are chosen.
 * {@link #rateLimit(double, int)} changes it mid-run. {@link #throttledCount()} and
 * {@link #throttledSince(long)} count the throttle answers.
 *
 * <h2>Reproducibility</h2>
 * Random faults are not drawn from a shared sequence but from a hash of (seed, key, attempt number
 * of that key), where the key is the {@code Idempotency-Key}, else the record id. So the same seed
 * gives the same faults for the same record's n-th attempt whatever the interleaving of concurrent
 * clients (Spark tasks). Requests with neither key nor id use the server-wide request number.
 *
 * <p>Thread-safe; handlers run on a cached pool of daemon threads, so slow responses do not block
 * other clients. JDK only.
 */
public final class FlakyApiServer implements AutoCloseable {

    /** The record endpoint. */
    public static final String RECORDS_PATH = "/records";
    /** The health endpoint. */
    public static final String HEALTH_PATH = "/health";
    /** Header carrying the record id (wins over the body's {@code "id"}). */
    public static final String RECORD_ID_HEADER = "X-Record-Id";
    /** Header carrying the idempotency key. */
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
    /** Set to {@code true} on responses replayed from the idempotency store. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";

    static {
        // HttpServer writes the status line and the body separately; with Nagle on, the second write
        // waits for the client's delayed ACK (~40 ms per request on Linux). The JDK reads this once,
        // when its server config class loads, and it only affects JDK HttpServers in this JVM.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private static final Pattern ID_FIELD =
        Pattern.compile("\"id\"\\s*:\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|(-?[0-9][0-9.eE+-]*))");

    private final long seed;
    private final int failFirst;
    private final Fault failFirstFault;
    private final int failFirstPerKey;
    private final Fault failFirstPerKeyFault;
    private final double pUnavailable;
    private final double pReset;
    private final double pSlow;
    private final double pAcceptedThenReset;
    private final Duration randomSlowDelay;
    private final Duration slowDelay;
    private final Duration unavailableRetryAfter;
    private final Predicate<String> poison;
    private final DownMode defaultDownMode;
    private final double ratePerSecond;
    private final int burst;
    private final int rateLimitStatus;
    private final ThrottleHeaders throttleHeaders;
    private final Map<String, String> requiredHeaders;

    private final ExecutorService executor;
    private final Object lifecycle = new Object();
    private HttpServer server; // guarded by lifecycle; null while down (refusing) or not started
    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean unavailable;
    private int port;
    private long startNanos;
    private long downSinceNanos = -1;                       // guarded by lifecycle; -1 while up
    private final List<long[]> downIntervals = new ArrayList<>(); // guarded by lifecycle; nanos since start
    private volatile TokenBucket bucket;

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong pastLimiter = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong replays = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final LongAdder healthChecks = new LongAdder();
    private final Map<Fault, LongAdder> faults = new EnumMap<>(Fault.class);
    private final ConcurrentHashMap<String, AtomicInteger> attemptsPerKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> effectsPerKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> effectsPerRecordId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Stored> idempotencyStore = new ConcurrentHashMap<>();
    private final EventLog receivedLog = new EventLog();
    private final EventLog acceptedLog = new EventLog();
    private final EventLog throttledLog = new EventLog();

    private FlakyApiServer(Builder b) {
        this.seed = b.seed;
        this.failFirst = b.failFirst;
        this.failFirstFault = b.failFirstFault;
        this.failFirstPerKey = b.failFirstPerKey;
        this.failFirstPerKeyFault = b.failFirstPerKeyFault;
        this.pUnavailable = b.pUnavailable;
        this.pReset = b.pReset;
        this.pSlow = b.pSlow;
        this.pAcceptedThenReset = b.pAcceptedThenReset;
        this.randomSlowDelay = b.randomSlowDelay;
        this.slowDelay = b.slowDelay;
        this.unavailableRetryAfter = b.unavailableRetryAfter;
        Set<String> ids = Set.copyOf(b.poisonIds);
        Predicate<String> p = b.poisonIf;
        this.poison = id -> id != null && (ids.contains(id) || (p != null && p.test(id)));
        this.defaultDownMode = b.downMode;
        this.ratePerSecond = b.ratePerSecond;
        this.burst = b.burst;
        this.rateLimitStatus = b.rateLimitStatus;
        this.throttleHeaders = b.throttleHeaders;
        this.requiredHeaders = Map.copyOf(b.requiredHeaders);
        for (Fault f : Fault.values()) {
            faults.put(f, new LongAdder());
        }
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "flaky-api-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = Executors.newCachedThreadPool(tf);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds {@code 127.0.0.1} on an ephemeral port and starts serving. Returns this. */
    public FlakyApiServer start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("server is closed");
            }
            if (started) {
                return this;
            }
            startNanos = System.nanoTime();
            bucket = ratePerSecond > 0 ? new TokenBucket(ratePerSecond, burst, startNanos) : null;
            bind(0);
            started = true;
            return this;
        }
    }

    private void bind(int wantedPort) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), wantedPort), 256);
            s.createContext(RECORDS_PATH, this::handleRecords);
            s.createContext(HEALTH_PATH, this::handleHealth);
            s.createContext("/", ex -> respond(ex, 404, "{\"error\":\"not found\"}", null));
            s.setExecutor(executor);
            s.start();
            server = s;
            port = s.getAddress().getPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind 127.0.0.1:" + wantedPort, e);
        }
    }

    /**
     * Changes the server-side limit now (a limit that halves mid-run, a quota raised): the new bucket
     * keeps the tokens the old one had, up to its burst. Works whether or not the builder set a limit.
     */
    public void rateLimit(double permitsPerSecond, int burst) {
        if (!(permitsPerSecond > 0) || Double.isInfinite(permitsPerSecond) || burst < 1) {
            throw new IllegalArgumentException("rateLimit: permitsPerSecond must be positive and finite and burst at"
                + " least 1, was " + permitsPerSecond + " and " + burst);
        }
        synchronized (lifecycle) {
            requireStarted();
            TokenBucket old = bucket;
            long now = System.nanoTime();
            bucket = old == null ? new TokenBucket(permitsPerSecond, burst, now) : old.withLimit(permitsPerSecond, burst, now);
        }
    }

    /** The server-side limit now, in permits per second (0 if none). */
    public double rateLimit() {
        TokenBucket b = bucket;
        return b == null ? 0 : b.ratePerSecond();
    }

    /** Takes the service down in the {@link Builder#downMode default mode}. */
    public void down() {
        down(defaultDownMode);
    }

    /** Takes the service down: refuse connections (socket closed) or answer 503 to everything. */
    public void down(DownMode mode) {
        Objects.requireNonNull(mode, "mode");
        synchronized (lifecycle) {
            requireStarted();
            if (downSinceNanos < 0) {
                downSinceNanos = System.nanoTime() - startNanos;
            }
            if (mode == DownMode.SERVICE_UNAVAILABLE) {
                unavailable = true;
            } else if (server != null) {
                server.stop(0);
                server = null;
            }
        }
    }

    /** Restores service after {@link #down()}; the port (and {@link #baseUri()}) stays the same. */
    public void up() {
        synchronized (lifecycle) {
            requireStarted();
            if (downSinceNanos >= 0) {
                downIntervals.add(new long[] {downSinceNanos, System.nanoTime() - startNanos});
                downSinceNanos = -1;
            }
            unavailable = false;
            if (server == null) {
                bind(port);
            }
        }
    }

    /** Takes the service down in the default mode now and brings it back up after {@code duration}. */
    public void downFor(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        down();
        java.util.concurrent.CompletableFuture.delayedExecutor(duration.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
            .execute(() -> {
                synchronized (lifecycle) {
                    if (!closed) {
                        up();
                    }
                }
            });
    }

    /** How long the service has been down so far, over every {@link #down()} ... {@link #up()}. */
    public Duration downTime() {
        synchronized (lifecycle) {
            long total = 0;
            for (long[] d : downIntervals) {
                total += d[1] - d[0];
            }
            if (downSinceNanos >= 0 && started) {
                total += System.nanoTime() - startNanos - downSinceNanos;
            }
            return Duration.ofNanos(total);
        }
    }

    /** When the first down time began, since {@link #start()}; empty if the service was never down. */
    public java.util.Optional<Duration> firstDownAt() {
        synchronized (lifecycle) {
            long first = !downIntervals.isEmpty() ? downIntervals.get(0)[0] : downSinceNanos;
            return first < 0 ? java.util.Optional.empty() : java.util.Optional.of(Duration.ofNanos(first));
        }
    }

    /** Requests received while the service was up (outside every down time). */
    public long receivedWhileUp() {
        List<long[]> down;
        synchronized (lifecycle) {
            down = new ArrayList<>(downIntervals);
            if (downSinceNanos >= 0) {
                down.add(new long[] {downSinceNanos, Long.MAX_VALUE});
            }
        }
        long n = 0;
        for (long t : receivedLog.sortedSnapshot()) {
            boolean whileDown = false;
            for (long[] d : down) {
                whileDown |= t >= d[0] && t < d[1];
            }
            if (!whileDown) {
                n++;
            }
        }
        return n;
    }

    /** From the first {@code /records} request received to the last (zero before the second). */
    public Duration activeTime() {
        long[] t = receivedLog.sortedSnapshot();
        return t.length < 2 ? Duration.ZERO : Duration.ofNanos(t[t.length - 1] - t[0]);
    }

    /** True unless {@link #down()} is in effect. */
    public boolean isUp() {
        synchronized (lifecycle) {
            return started && !closed && server != null && !unavailable;
        }
    }

    private void requireStarted() {
        if (!started || closed) {
            throw new IllegalStateException("server is not running (start() it first; closed=" + closed + ")");
        }
    }

    /** Stops the server and interrupts slow responses in flight. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (server != null) {
                server.stop(0);
                server = null;
            }
            executor.shutdownNow();
        }
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public URI baseUri() {
        synchronized (lifecycle) {
            if (!started) {
                throw new IllegalStateException("start() the server first");
            }
            return URI.create("http://127.0.0.1:" + port);
        }
    }

    /** {@code baseUri() + "/records"}. */
    public URI recordsUri() {
        return URI.create(baseUri() + RECORDS_PATH);
    }

    public int port() {
        return baseUri().getPort();
    }

    // ---------------------------------------------------------------- counters

    /** {@code POST /records} requests that reached the server (everything but refused connections). */
    public long receivedCount() {
        return received.get();
    }

    /** New effects applied (200 answers that were not idempotent replays). */
    public long acceptedCount() {
        return accepted.get();
    }

    /** Requests answered from the idempotency store: a key already seen, same body, no new effect. */
    public long duplicateKeysSeen() {
        return replays.get();
    }

    /** How many times the server caused {@code fault} (counted when caused, e.g. {@link Fault#SLOW} before the delay). */
    public long faultCount(Fault fault) {
        return faults.get(fault).sum();
    }

    /** All fault counters, including zeros. */
    public Map<Fault, Long> faultCounts() {
        Map<Fault, Long> out = new EnumMap<>(Fault.class);
        faults.forEach((f, a) -> out.put(f, a.sum()));
        return out;
    }

    /** Requests that got no 2xx: 401, 429, 503, 400, 422 and resets (slow ones are not rejections). */
    public long rejectedCount() {
        long n = 0;
        for (Fault f : Fault.values()) {
            if (f != Fault.SLOW) {
                n += faults.get(f).sum();
            }
        }
        return n;
    }

    /** Throttle answers of the rate limit (429, or the {@link Builder#rateLimitStatus chosen status}) so far. */
    public long throttledCount() {
        return faults.get(Fault.RATE_LIMITED).sum();
    }

    /** Throttle answers per second since start (index = second). */
    public long[] throttledPerSecond() {
        return throttledLog.perSecond();
    }

    /** Nanoseconds from start to the first throttle answer, or -1 if none yet. */
    public long firstThrottledNanos() {
        return throttledLog.first();
    }

    /** Throttle answers given at or after {@code sinceStartNanos} (nanoseconds since start). */
    public long throttledSince(long sinceStartNanos) {
        return throttledLog.countFrom(sinceStartNanos);
    }

    /** Nanoseconds since the server started (the time base of every log). */
    public long nanosSinceStart() {
        return System.nanoTime() - startNanos;
    }

    /** {@code GET /health} requests served. */
    public long healthCheckCount() {
        return healthChecks.sum();
    }

    /**
     * Accepted effects per key: the {@code Idempotency-Key} when one was sent, else the record id.
     * Exactly-once means every value is 1.
     */
    public Map<String, Integer> effectsPerKey() {
        return snapshot(effectsPerKey);
    }

    /** Accepted effects per record id, whatever keys were sent: catches keys that differ between retries. */
    public Map<String, Integer> effectsPerRecordId() {
        return snapshot(effectsPerRecordId);
    }

    /** Effects beyond the first per record id; 0 means no record took effect twice. */
    public long duplicateEffectCount() {
        long n = 0;
        for (AtomicInteger c : effectsPerRecordId.values()) {
            n += Math.max(0, c.get() - 1);
        }
        return n;
    }

    /** Requests seen per key (Idempotency-Key, else record id), past the rate limiter: the attempts each record took. */
    public Map<String, Integer> attemptsPerKey() {
        return snapshot(attemptsPerKey);
    }

    /** Received {@code /records} requests per second since start (index = second). */
    public long[] receivedPerSecond() {
        return receivedLog.perSecond();
    }

    /** Accepted effects per second since start (index = second). */
    public long[] acceptedPerSecond() {
        return acceptedLog.perSecond();
    }

    /**
     * The most {@code /records} requests received within any interval of length {@code window}
     * (exact, over arrival timestamps): what a client-side limiter let through. Compare with
     * {@code R * w + B}, plus a little slack for network jitter bunching arrivals.
     */
    public long maxInWindow(Duration window) {
        return receivedLog.maxInWindow(window);
    }

    /**
     * Time since {@link #start()}, on the clock arrival times and down times use: to mark an event of
     * your own (an executor killed) on the same clock as {@link #receivedPerSecond()}.
     */
    public Duration sinceStart() {
        synchronized (lifecycle) {
            requireStarted();
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }
    }

    /**
     * The most {@code /records} requests this server was handling at once (from arrival until the
     * answer is written): how many calls the clients kept in flight together. Independent of load
     * and timing, unlike a rate, so a test can assert that a client overlaps its calls.
     */
    public int maxConcurrentRequests() {
        return maxInFlight.get();
    }

    /** Like {@link #maxInWindow(Duration)}, over accepted effects only. */
    public long maxAcceptedInWindow(Duration window) {
        return acceptedLog.maxInWindow(window);
    }

    private static Map<String, Integer> snapshot(Map<String, AtomicInteger> m) {
        Map<String, Integer> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    // ---------------------------------------------------------------- handlers

    private void handleHealth(HttpExchange ex) throws IOException {
        try (ex) {
            drain(ex);
            healthChecks.increment();
            if (!authorized(ex)) {
                reject(ex, Fault.UNAUTHORIZED, 401, "{\"error\":\"unauthorized\"}", null);
            } else if (unavailable) {
                respond(ex, 503, "{\"status\":\"down\"}", retryAfterHeader());
            } else {
                respond(ex, 200, "{\"status\":\"up\"}", null);
            }
        }
    }

    private void handleRecords(HttpExchange ex) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            serveRecords(ex);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void serveRecords(HttpExchange ex) throws IOException {
        long now = System.nanoTime();
        boolean respondedOrReset = false;
        try {
            if (!ex.getRequestURI().getPath().equals(RECORDS_PATH)) {
                drain(ex);
                respond(ex, 404, "{\"error\":\"not found\"}", null);
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                drain(ex);
                respond(ex, 405, "{\"error\":\"use POST\"}", null);
                return;
            }
            long seq = received.getAndIncrement();
            receivedLog.add(now - startNanos);
            byte[] body = drain(ex);
            if (unavailable) {
                reject(ex, Fault.UNAVAILABLE, 503, "{\"error\":\"down\"}", retryAfterHeader());
                return;
            }
            if (!authorized(ex)) {
                reject(ex, Fault.UNAUTHORIZED, 401, "{\"error\":\"unauthorized\"}", null);
                return;
            }
            TokenBucket b = bucket;
            if (b != null) {
                long wait = b.tryTake(now);
                if (wait > 0) {
                    throttledLog.add(now - startNanos);
                    String retryAfter = throttleAnswer(ex, b, wait);
                    reject(ex, Fault.RATE_LIMITED, rateLimitStatus, "{\"error\":\"rate limited\"}", retryAfter);
                    return;
                }
                rateLimitHeaders(ex, b, 0);
            }
            String idemKey = ex.getRequestHeaders().getFirst(IDEMPOTENCY_KEY_HEADER);
            String id = recordId(ex, body);
            String key = idemKey != null ? idemKey : id;
            long call = pastLimiter.getAndIncrement();
            long attempt = key == null ? call
                : attemptsPerKey.computeIfAbsent(key, k -> new AtomicInteger()).getAndIncrement();
            String drawKey = key == null ? "" : key;

            Fault injected = null;
            Duration delay = slowDelay;
            if (failFirstFault != null && call < failFirst) {
                injected = failFirstFault;
            } else if (failFirstPerKeyFault != null && attempt < failFirstPerKey) {
                injected = failFirstPerKeyFault;
            } else if (pUnavailable > 0 && draw(drawKey, attempt, 1) < pUnavailable) {
                injected = Fault.UNAVAILABLE;
            } else if (pReset > 0 && draw(drawKey, attempt, 2) < pReset) {
                injected = Fault.RESET;
            } else if (pSlow > 0 && draw(drawKey, attempt, 3) < pSlow) {
                injected = Fault.SLOW;
                delay = randomSlowDelay;
            } else if (pAcceptedThenReset > 0 && draw(drawKey, attempt, 4) < pAcceptedThenReset) {
                injected = Fault.ACCEPTED_THEN_RESET;
            }
            if (injected == Fault.UNAVAILABLE) {
                reject(ex, Fault.UNAVAILABLE, 503, "{\"error\":\"unavailable\"}", retryAfterHeader());
                return;
            }
            if (injected == Fault.RESET) {
                faults.get(Fault.RESET).increment();
                respondedOrReset = true;
                // Closing an exchange whose response was never started makes HttpServer drop the
                // connection: the client reads EOF where the status line should be (an IOException).
                ex.close();
                return;
            }
            if (poison.test(id)) {
                reject(ex, Fault.POISON, 400, "{\"error\":\"invalid record\",\"id\":\"" + escape(id) + "\"}", null);
                return;
            }
            Stored answer;
            boolean replay = false;
            if (idemKey != null) {
                boolean[] fresh = {false};
                answer = idempotencyStore.computeIfAbsent(idemKey, k -> {
                    fresh[0] = true;
                    return new Stored(body, applyEffect(k, id, now));
                });
                if (!fresh[0]) {
                    if (!Arrays.equals(answer.request, body)) {
                        reject(ex, Fault.KEY_REUSED, 422, "{\"error\":\"idempotency key reused with another body\"}", null);
                        return;
                    }
                    replays.incrementAndGet();
                    replay = true;
                }
            } else {
                answer = new Stored(body, applyEffect(id, id, now));
            }
            if (injected == Fault.SLOW) {
                faults.get(Fault.SLOW).increment();
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    respondedOrReset = true;
                    ex.close(); // server closing
                    return;
                }
            }
            if (injected == Fault.ACCEPTED_THEN_RESET) {
                // the effect is applied (or replayed); the answer is lost with the connection
                faults.get(Fault.ACCEPTED_THEN_RESET).increment();
                respondedOrReset = true;
                ex.close();
                return;
            }
            if (replay) {
                ex.getResponseHeaders().set(REPLAYED_HEADER, "true");
            }
            respond(ex, 200, answer.response, null);
            respondedOrReset = true;
        } finally {
            if (!respondedOrReset) {
                ex.close();
            }
        }
    }

    private String applyEffect(String key, String id, long now) {
        long n = accepted.incrementAndGet();
        acceptedLog.add(now - startNanos);
        if (key != null) {
            effectsPerKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }
        if (id != null) {
            effectsPerRecordId.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        }
        return "{\"id\":" + (id == null ? "null" : "\"" + escape(id) + "\"") + ",\"effect\":" + n + "}";
    }

    private boolean authorized(HttpExchange ex) {
        for (Map.Entry<String, String> e : requiredHeaders.entrySet()) {
            if (!e.getValue().equals(ex.getRequestHeaders().getFirst(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Sets the chosen family's headers on a throttle answer; returns the Retry-After value, if that family has one. */
    private String throttleAnswer(HttpExchange ex, TokenBucket b, long waitNanos) {
        long secs = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
        switch (throttleHeaders) {
            case RETRY_AFTER_SECONDS:
                return Long.toString(secs);
            case RETRY_AFTER_DATE:
                return java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(java.time.ZonedDateTime.now(
                    java.time.ZoneOffset.UTC).plusNanos(waitNanos).plusSeconds(1).withNano(0));
            default:
                rateLimitHeaders(ex, b, waitNanos);
                return null;
        }
    }

    /** The IETF or X-RateLimit headers, on every answer when that family is chosen. */
    private void rateLimitHeaders(HttpExchange ex, TokenBucket b, long waitNanos) {
        long remaining = waitNanos > 0 ? 0 : b.remaining(System.nanoTime());
        long secs = waitNanos > 0 ? Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L) : 0;
        if (throttleHeaders == ThrottleHeaders.IETF) {
            long window = Math.max(1, Math.round(b.burst() / b.ratePerSecond()));
            ex.getResponseHeaders().set("RateLimit-Policy", "\"default\";q=" + b.burst() + ";w=" + window);
            ex.getResponseHeaders().set("RateLimit", "\"default\";r=" + remaining + ";t=" + secs);
        } else if (throttleHeaders == ThrottleHeaders.X_RATELIMIT) {
            ex.getResponseHeaders().set("X-RateLimit-Limit", Long.toString(Math.round(b.ratePerSecond())));
            ex.getResponseHeaders().set("X-RateLimit-Remaining", Long.toString(remaining));
            long resetAt = System.currentTimeMillis() / 1000 + secs;
            ex.getResponseHeaders().set("X-RateLimit-Reset", Long.toString(resetAt));
        }
    }

    private void reject(HttpExchange ex, Fault fault, int status, String body, String retryAfter) throws IOException {
        faults.get(fault).increment();
        respond(ex, status, body, retryAfter);
    }

    private String retryAfterHeader() {
        return unavailableRetryAfter == null ? null
            : Long.toString(Math.max(0, (unavailableRetryAfter.toMillis() + 999) / 1000));
    }

    private static void respond(HttpExchange ex, int status, String body, String retryAfter) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter != null) {
            ex.getResponseHeaders().set("Retry-After", retryAfter);
        }
        try {
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } finally {
            ex.close();
        }
    }

    private static byte[] drain(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    static String recordId(HttpExchange ex, byte[] body) {
        String h = ex.getRequestHeaders().getFirst(RECORD_ID_HEADER);
        if (h != null && !h.isBlank()) {
            return h.trim();
        }
        return idFromJson(new String(body, StandardCharsets.UTF_8));
    }

    /** The first {@code "id"} field's value (string or number); null if none. Deliberately trivial. */
    static String idFromJson(String json) {
        Matcher m = ID_FIELD.matcher(json);
        if (!m.find()) {
            return null;
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** A uniform draw in [0, 1) fixed by (seed, key, attempt, salt): reproducible under any interleaving. */
    private double draw(String key, long attempt, int salt) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * 0x100000001b3L;
        }
        long x = mix(seed ^ mix(h + salt * 0x9E3779B97F4A7C15L) ^ mix(attempt * 0xBF58476D1CE4E5B9L + salt));
        return (x >>> 11) * 0x1.0p-53;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static final class Stored {
        final byte[] request;
        final String response;

        Stored(byte[] request, String response) {
            this.request = request;
            this.response = response;
        }
    }

    @Override
    public String toString() {
        return "FlakyApiServer{" + (started ? baseUri() : "not started") + ", received=" + received.get()
            + ", accepted=" + accepted.get() + ", faults=" + faultCounts() + '}';
    }

    // ---------------------------------------------------------------- builder

    /** Builds a {@link FlakyApiServer}; by default it injects nothing and behaves like a healthy API. */
    public static final class Builder {
        private long seed = 42;
        private int failFirst;
        private Fault failFirstFault;
        private int failFirstPerKey;
        private Fault failFirstPerKeyFault;
        private double pUnavailable;
        private double pReset;
        private double pSlow;
        private double pAcceptedThenReset;
        private Duration randomSlowDelay = Duration.ofSeconds(2);
        private Duration slowDelay = Duration.ofSeconds(2);
        private Duration unavailableRetryAfter;
        private final Set<String> poisonIds = new HashSet<>();
        private Predicate<String> poisonIf;
        private DownMode downMode = DownMode.REFUSE_CONNECTIONS;
        private final Map<String, String> requiredHeaders = new HashMap<>();
        private double ratePerSecond;
        private int burst;
        private int rateLimitStatus = 429;
        private ThrottleHeaders throttleHeaders = ThrottleHeaders.RETRY_AFTER_SECONDS;
        private final List<String> problems = new ArrayList<>();

        private Builder() {
        }

        /** Seed of the random faults (default 42). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The first {@code k} {@code /records} requests (server-wide, past the rate limiter) get {@code fault}: UNAVAILABLE, RESET or SLOW. */
        public Builder failFirst(int k, Fault fault) {
            checkInjectable("failFirst", k, fault);
            this.failFirst = k;
            this.failFirstFault = fault;
            return this;
        }

        /** The first {@code k} attempts of every key (Idempotency-Key, else record id) get {@code fault}: UNAVAILABLE, RESET or SLOW. */
        public Builder failFirstPerKey(int k, Fault fault) {
            checkInjectable("failFirstPerKey", k, fault);
            this.failFirstPerKey = k;
            this.failFirstPerKeyFault = fault;
            return this;
        }

        /** How long a {@link Fault#SLOW} response from {@code failFirst*} is delayed (default 2 s). */
        public Builder slowDelay(Duration delay) {
            if (checkPositive("slowDelay", delay)) {
                this.slowDelay = delay;
            }
            return this;
        }

        /** Server-side token bucket: {@code permitsPerSecond} sustained, {@code burst} at once; 429 with {@code Retry-After} seconds above it. */
        public Builder rateLimit(double permitsPerSecond, int burst) {
            if (!(permitsPerSecond > 0) || Double.isInfinite(permitsPerSecond)) {
                problems.add("rateLimit: permitsPerSecond must be positive and finite, was " + permitsPerSecond);
            }
            if (burst < 1) {
                problems.add("rateLimit: burst must be at least 1, was " + burst);
            }
            this.ratePerSecond = permitsPerSecond;
            this.burst = burst;
            return this;
        }

        /** The status of rate-limit answers: 429 (default) or 503 (an API that sheds load with 503). */
        public Builder rateLimitStatus(int status) {
            if (status != 429 && status != 503) {
                problems.add("rateLimitStatus: must be 429 or 503, was " + status);
            } else {
                this.rateLimitStatus = status;
            }
            return this;
        }

        /** Which headers tell a throttled client when to come back (default {@code Retry-After} in seconds). */
        public Builder throttleHeaders(ThrottleHeaders family) {
            this.throttleHeaders = Objects.requireNonNull(family, "family");
            return this;
        }

        /** Each request gets 503 with probability {@code p}. */
        public Builder randomUnavailable(double p) {
            this.pUnavailable = probability("randomUnavailable", p);
            return this;
        }

        /** Each request's connection is reset with probability {@code p}. */
        public Builder randomResets(double p) {
            this.pReset = probability("randomResets", p);
            return this;
        }

        /**
         * With probability {@code p} a request takes effect (or is replayed for its key) and then its
         * connection is reset before any answer: {@link Fault#ACCEPTED_THEN_RESET}.
         */
        public Builder randomAcceptedThenReset(double p) {
            this.pAcceptedThenReset = probability("randomAcceptedThenReset", p);
            return this;
        }

        /** Each request's response is delayed by {@code delay} with probability {@code p} (the effect still applies). */
        public Builder randomSlow(double p, Duration delay) {
            this.pSlow = probability("randomSlow", p);
            if (checkPositive("randomSlow", delay)) {
                this.randomSlowDelay = delay;
            }
            return this;
        }

        /** Adds {@code Retry-After: <seconds>} to 503 answers (none by default, so 503 is a plain transient failure). */
        public Builder unavailableRetryAfter(Duration retryAfter) {
            if (retryAfter == null || retryAfter.isNegative()) {
                problems.add("unavailableRetryAfter: must be zero or positive, was " + retryAfter);
            } else {
                this.unavailableRetryAfter = retryAfter;
            }
            return this;
        }

        /** Records with these ids always get 400. */
        public Builder poisonIds(String... ids) {
            return poisonIds(Arrays.asList(ids));
        }

        /** Records with these ids always get 400. */
        public Builder poisonIds(Collection<String> ids) {
            for (String id : ids) {
                poisonIds.add(Objects.requireNonNull(id, "poison id"));
            }
            return this;
        }

        /** Records whose id matches always get 400 (or-ed with {@link #poisonIds}). Must be thread-safe. */
        public Builder poisonIf(Predicate<String> idPredicate) {
            this.poisonIf = Objects.requireNonNull(idPredicate, "idPredicate");
            return this;
        }

        /**
         * Requests without this exact header value get 401 (checked after down-503, before the rate
         * limit; {@code /health} too), e.g. {@code requireHeader("Authorization", "Bearer t0k3n")}.
         */
        public Builder requireHeader(String name, String value) {
            requiredHeaders.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** What {@link FlakyApiServer#down()} does (default {@link DownMode#REFUSE_CONNECTIONS}). */
        public Builder downMode(DownMode mode) {
            this.downMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Validates (all problems at once, as {@link IllegalArgumentException}) and builds, not started. */
        public FlakyApiServer build() {
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("Invalid FlakyApiServer settings: " + String.join("; ", problems));
            }
            return new FlakyApiServer(this);
        }

        /** {@code build().start()}. */
        public FlakyApiServer start() {
            return build().start();
        }

        private void checkInjectable(String what, int k, Fault fault) {
            if (k < 0) {
                problems.add(what + ": k must be >= 0, was " + k);
            }
            if (fault != Fault.UNAVAILABLE && fault != Fault.RESET && fault != Fault.SLOW) {
                problems.add(what + ": fault must be UNAVAILABLE, RESET or SLOW, was " + fault);
            }
        }

        private boolean checkPositive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                problems.add(what + ": delay must be positive, was " + d);
                return false;
            }
            return true;
        }

        private double probability(String what, double p) {
            if (!(p >= 0 && p <= 1)) {
                problems.add(what + ": probability must be within [0, 1], was " + p);
                return 0;
            }
            return p;
        }
    }
}
