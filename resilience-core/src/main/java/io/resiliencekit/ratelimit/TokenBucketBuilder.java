package io.resiliencekit.ratelimit;

import io.resiliencekit.event.EventPublisher;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.time.Ticker;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds a {@link TokenBucket} (local), a {@link LeasedTokenBucket} (global, through an authority)
 * or just the {@link TokenBucketConfig}.
 *
 * <pre>{@code
 * TokenBucket local = TokenBucket.builder("api").rate(50).burst(10).build();
 * LeasedTokenBucket global = TokenBucket.builder("api").rate(50).burst(50)
 *     .leasePeriod(Duration.ofSeconds(1)).buildLeased(new InProcessTokenAuthority(Ticker.system()));
 * }</pre>
 */
public final class TokenBucketBuilder {

    private String name;
    private double rate = Double.NaN;
    private long burst = -1;
    private boolean adaptive;
    private TokenBucketConfig.ThrottleScope throttleScope = TokenBucketConfig.ThrottleScope.BUCKET;
    private TokenBucketConfig.Mode mode = TokenBucketConfig.Mode.AUTO;
    private TokenBucketConfig.AuthorityKind authority = TokenBucketConfig.AuthorityKind.INPROCESS;
    private Duration leasePeriod = Duration.ofSeconds(1);
    private int expectedClients = 1;
    private String jdbcUrl;
    private String jdbcUser;
    private String jdbcPassword;
    private String jdbcTable = TokenBucketConfig.DEFAULT_TABLE;
    private Ticker ticker = Ticker.system();
    private EventPublisher events = new EventPublisher();
    private LeaseScheduler scheduler; // null: the leased bucket makes and owns its own
    private String clientId;

    TokenBucketBuilder(String name) {
        this.name = name;
    }

    /** Starts from an existing configuration. */
    public static TokenBucketBuilder from(TokenBucketConfig c) {
        TokenBucketBuilder b = new TokenBucketBuilder(c.name());
        b.rate = c.rate();
        b.burst = c.burst();
        b.adaptive = c.adaptive();
        b.throttleScope = c.throttleScope();
        b.mode = c.mode();
        b.authority = c.authority();
        b.leasePeriod = c.leasePeriod();
        b.expectedClients = c.expectedClients();
        b.jdbcUrl = c.jdbcUrl();
        b.jdbcUser = c.jdbcUser();
        b.jdbcPassword = c.jdbcPassword();
        b.jdbcTable = c.jdbcTable();
        return b;
    }

    /** The name limiters are shared by within a JVM (and, when leased, the global bucket's name). */
    public TokenBucketBuilder name(String name) {
        this.name = name;
        return this;
    }

    /** R: permits per second (required). */
    public TokenBucketBuilder rate(double permitsPerSecond) {
        this.rate = permitsPerSecond;
        this.adaptive = false;
        return this;
    }

    /**
     * {@code rate=auto}: the authority finds the rate from the service's throttle answers (probing up,
     * cutting back on each), for an API whose limit is unknown or changes. Needs a leased bucket.
     */
    public TokenBucketBuilder rateAuto() {
        this.adaptive = true;
        this.rate = TokenBucketConfig.MAX_RATE;
        return this;
    }

    /** {@code rate=auto} never above {@code maxPermitsPerSecond}. */
    public TokenBucketBuilder rateAuto(double maxPermitsPerSecond) {
        this.adaptive = true;
        this.rate = maxPermitsPerSecond;
        return this;
    }

    /** Who slows down on a throttle answer: every client of the bucket (default) or this JVM only. */
    public TokenBucketBuilder throttleScope(TokenBucketConfig.ThrottleScope scope) {
        this.throttleScope = Objects.requireNonNull(scope, "scope");
        return this;
    }

    /** Rate as permits per period, e.g. {@code rate(600, Duration.ofMinutes(1))}. */
    public TokenBucketBuilder rate(long permits, Duration per) {
        this.rate = permits * 1e9 / per.toNanos();
        return this;
    }

    /** B: permits that may be taken at once after an idle period; default one second of rate. */
    public TokenBucketBuilder burst(long burst) {
        this.burst = burst;
        return this;
    }

    public TokenBucketBuilder mode(TokenBucketConfig.Mode mode) {
        this.mode = Objects.requireNonNull(mode, "mode");
        return this;
    }

    public TokenBucketBuilder authority(TokenBucketConfig.AuthorityKind kind) {
        this.authority = Objects.requireNonNull(kind, "authority");
        return this;
    }

    /** JDBC authority settings (for configs that create it themselves, e.g. from options). */
    public TokenBucketBuilder jdbc(String url, String user, String password, String table) {
        this.jdbcUrl = url;
        this.jdbcUser = user;
        this.jdbcPassword = password;
        this.jdbcTable = table == null ? TokenBucketConfig.DEFAULT_TABLE : table;
        return this;
    }

    /** Longest lease; shortened so a lease fits in half the burst. Default 1 s. */
    public TokenBucketBuilder leasePeriod(Duration leasePeriod) {
        this.leasePeriod = Objects.requireNonNull(leasePeriod, "leasePeriod");
        return this;
    }

    /** Clients assumed to share the bucket until the authority says how many there are (safe-rate divisor). */
    public TokenBucketBuilder expectedClients(int expectedClients) {
        this.expectedClients = expectedClients;
        return this;
    }

    public TokenBucketBuilder ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return this;
    }

    public TokenBucketBuilder events(EventPublisher events) {
        this.events = Objects.requireNonNull(events, "events");
        return this;
    }

    public TokenBucketBuilder scheduler(LeaseScheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** Id the authority knows this client by; default: host/pid plus a random suffix. */
    public TokenBucketBuilder clientId(String clientId) {
        this.clientId = clientId;
        return this;
    }

    /** The validated configuration; throws {@link io.resiliencekit.config.ConfigException} naming every problem. */
    public TokenBucketConfig config() {
        long b = adaptive ? 0 : burst > 0 ? burst : (Double.isNaN(rate) || rate <= 0 ? 1 : Math.max(1, (long) Math.ceil(rate)));
        TokenBucketConfig c = new TokenBucketConfig(name, Double.isNaN(rate) ? 0 : rate, burst == -1 ? b : burst, adaptive,
            throttleScope, mode, authority, leasePeriod, expectedClients, jdbcUrl, jdbcUser, jdbcPassword, jdbcTable);
        c.validate();
        return c;
    }

    public TokenBucket build() {
        TokenBucketConfig c = config();
        if (c.adaptive()) {
            throw new io.resiliencekit.config.ConfigException(java.util.List.of("rate: auto needs a token authority:"
                + " buildLeased(authority), or a RateLimiterFactory (the runtime's in-process authority)"));
        }
        return new TokenBucket(c.name(), c.rate(), c.burst(), ticker, events);
    }

    public LeasedTokenBucket buildLeased(TokenAuthority authority) {
        Objects.requireNonNull(authority, "authority");
        TokenBucketConfig c = config();
        String id = clientId != null ? clientId : defaultClientId();
        boolean owned = scheduler == null;
        return new LeasedTokenBucket(c.name(), id, c.rate(), c.burst(), c.adaptive(),
            c.throttleScope() == TokenBucketConfig.ThrottleScope.BUCKET, c.leasePeriod(), c.expectedClients(), authority,
            owned ? LeaseScheduler.daemon() : scheduler, owned, ticker, events);
    }

    static String defaultClientId() {
        return ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
