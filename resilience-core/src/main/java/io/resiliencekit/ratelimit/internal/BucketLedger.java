package io.resiliencekit.ratelimit.internal;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The arithmetic of one global bucket, shared by every authority (in-process, JDBC, Spark driver)
 * so they all keep the same guarantee. Not thread-safe: the authority holds a lock (or a row lock).
 *
 * <p>Invariant: {@code level + sum(outstanding) <= burst}, where {@code outstanding} is what each
 * client may still spend (its report of unspent tokens at its last request plus what it was granted
 * then) until its lease expires. Admitted calls in any window w are at most the tokens clients held
 * at its start plus the grants during it, so at most {@code burst + rate * w}.
 */
public final class BucketLedger {

    /** Leases are never shorter than this, so authority traffic stays bounded. */
    public static final long MIN_LEASE_NANOS = 20_000_000L;

    private static final long NONE = Long.MIN_VALUE;
    /** A client counts as known (for the safe rate) this long after its last request. */
    public static final long KNOWN_CLIENT_TTL_NANOS = 60_000_000_000L;

    private double rate;
    private long burst;
    private double level;
    private long last = NONE;
    private final Map<String, Client> clients = new HashMap<>();

    private static final class Client {
        long outstanding;
        long releaseAt = NONE; // end of its lease plus grace: its outstanding tokens return to the pool then
        double demand;
        long lastSeen;
        long lastRequestAt = NONE;
    }

    /**
     * Lease length actually used: at most what was asked, and at most half the time the bucket
     * needs to refill its burst, because tokens held by clients count against the burst.
     */
    public static long effectiveLeaseNanos(double rate, long burst, long requestedNanos) {
        double byBurst = burst / rate * 1e9 / 2;
        long lease = (long) Math.min(requestedNanos, byBurst);
        return Math.max(MIN_LEASE_NANOS, lease);
    }

    /** Extra time the authority waits past a lease's end before reusing its tokens (covers late client timers). */
    static long graceNanos(long lease) {
        return lease / 4;
    }

    /**
     * Sets the bucket's rate and burst from the authority's own configuration (the Spark conf, an
     * operator changing a shared quota). Clients declaring anything else are then refused.
     */
    public void define(double rate, long burst) {
        this.rate = rate;
        this.burst = burst;
        if (last == NONE) {
            level = burst;
        } else {
            level = Math.max(0, Math.min(level, burst - totalOutstanding()));
        }
    }

    /** True once the bucket has a rate: defined by configuration or by its first client. */
    public boolean isDefined() {
        return rate > 0;
    }

    public double rate() {
        return rate;
    }

    public long burst() {
        return burst;
    }

    /**
     * One lease. The authority owns the rate and burst: the first definition (its configuration, or
     * else its first client's) stands, and a client that declares another is refused with both named.
     */
    public LeaseResponse grant(LeaseRequest r, long nowNanos) {
        long now = last == NONE ? nowNanos : Math.max(nowNanos, last); // clocks of several hosts may disagree a little
        if (!isDefined()) {
            rate = r.rate();
            burst = r.burst();
            level = burst;
        }
        if (rate != r.rate() || burst != r.burst()) {
            return LeaseResponse.refused("limiter '" + r.bucket() + "' is defined at its authority with rate "
                + rate + "/s and burst " + burst + "; client " + r.clientId() + " declares rate " + r.rate()
                + "/s and burst " + r.burst() + ". A limiter's rate lives at its authority: define it once (see "
                + "docs/guide-rate-limiting.md, \"Where a limiter's rate lives\")", effectiveLeaseNanos(rate, burst,
                r.leaseNanos()), Math.max(1, clients.size()));
        }
        if (last == NONE) {
            level = Math.min(level, burst);
            last = now;
        }
        advance(now);
        long lease = effectiveLeaseNanos(rate, burst, r.leaseNanos());
        Client c = clients.computeIfAbsent(r.clientId(), k -> new Client());
        // The client can only have spent since its last request, so its report is the tighter bound.
        c.outstanding = r.heldTokens();
        c.demand = r.demandPerSecond();
        c.lastSeen = now;
        level = Math.max(0, Math.min(level, burst - totalOutstanding()));

        double share = shareOf(c, now);
        long interval = c.lastRequestAt == NONE ? lease : Math.min(lease, Math.max(lease / 4, now - c.lastRequestAt));
        double cap = Math.ceil(share * interval / 1e9);
        long grant = (long) Math.floor(Math.min(Math.min((double) r.wantedTokens(), level), cap));
        grant = Math.max(0, grant);
        level -= grant;
        c.outstanding += grant;
        c.releaseAt = now + lease + graceNanos(lease);
        c.lastRequestAt = now;
        return new LeaseResponse(grant, lease, knownClients(now, lease), share);
    }

    /** Available tokens at the last update; for tests and metrics. */
    public double level() {
        return level;
    }

    public long totalOutstanding() {
        long sum = 0;
        for (Client c : clients.values()) {
            sum += c.outstanding;
        }
        return sum;
    }

    /** Refills up to {@code now}, releasing expired leases at their expiry time so the cap is exact. */
    private void advance(long now) {
        while (true) {
            Client next = null;
            for (Client c : clients.values()) {
                if (c.outstanding > 0 && c.releaseAt != NONE && c.releaseAt <= now
                    && (next == null || c.releaseAt < next.releaseAt)) {
                    next = c;
                }
            }
            if (next == null) {
                break;
            }
            refillTo(next.releaseAt);
            next.outstanding = 0;
        }
        refillTo(now);
    }

    private void refillTo(long t) {
        if (t > last) {
            double cap = burst - totalOutstanding();
            level = Math.max(0, Math.min(level + rate * (t - last) / 1e9, cap));
            last = t;
        }
    }

    /**
     * Max-min fair split of the rate by demand among clients holding a live lease: a client that
     * wants less than an equal share gets what it wants, the rest is split among the others; rate
     * nobody wants is spread evenly so a client whose demand grows can take it at once.
     */
    private double shareOf(Client me, long now) {
        List<Client> active = new ArrayList<>();
        for (Client c : clients.values()) {
            if (c == me || (c.releaseAt != NONE && c.releaseAt > now)) {
                active.add(c);
            }
        }
        active.sort((a, b) -> Double.compare(a.demand, b.demand));
        double remaining = rate;
        int left = active.size();
        double mine = 0;
        for (Client c : active) {
            double alloc = Math.min(c.demand, remaining / left);
            remaining -= alloc;
            left--;
            if (c == me) {
                mine = alloc;
            }
        }
        return mine + remaining / active.size();
    }

    private int knownClients(long now, long lease) {
        // Long memory on purpose: a client idle for a while may wake up during an outage and use the safe
        // rate R/known; counting it keeps the sum of safe rates at or below R.
        long ttl = Math.max(10 * lease, KNOWN_CLIENT_TTL_NANOS);
        int known = 0;
        for (Iterator<Client> it = clients.values().iterator(); it.hasNext(); ) {
            Client c = it.next();
            if (now - c.lastSeen <= ttl) {
                known++;
            } else if (c.outstanding == 0) {
                it.remove();
            }
        }
        return Math.max(1, known);
    }

    /** A compact text form, for authorities that store the ledger (one JDBC row per bucket). */
    public String encode() {
        StringBuilder sb = new StringBuilder(64 + clients.size() * 64);
        sb.append("v1 ").append(rate).append(' ').append(burst).append(' ').append(level).append(' ').append(last);
        for (Map.Entry<String, Client> e : clients.entrySet()) {
            Client c = e.getValue();
            sb.append('\n').append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append(' ')
                .append(c.outstanding).append(' ').append(c.releaseAt).append(' ').append(c.demand).append(' ')
                .append(c.lastSeen).append(' ').append(c.lastRequestAt);
        }
        return sb.toString();
    }

    public static BucketLedger decode(String text) {
        BucketLedger l = new BucketLedger();
        if (text == null || text.isBlank()) {
            return l;
        }
        String[] lines = text.split("\n");
        String[] h = lines[0].split(" ");
        if (!"v1".equals(h[0]) || h.length != 5) {
            throw new IllegalStateException("unreadable token bucket ledger (version " + h[0] + ")");
        }
        l.rate = Double.parseDouble(h[1]);
        l.burst = Long.parseLong(h[2]);
        l.level = Double.parseDouble(h[3]);
        l.last = Long.parseLong(h[4]);
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            Client c = new Client();
            c.outstanding = Long.parseLong(f[1]);
            c.releaseAt = Long.parseLong(f[2]);
            c.demand = Double.parseDouble(f[3]);
            c.lastSeen = Long.parseLong(f[4]);
            c.lastRequestAt = Long.parseLong(f[5]);
            l.clients.put(URLDecoder.decode(f[0], StandardCharsets.UTF_8), c);
        }
        return l;
    }
}
