package io.resiliencekit.ratelimit.internal;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.ThrottleSignal;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;

/**
 * The arithmetic of one global bucket, shared by every authority (in-process, JDBC, Spark driver)
 * so they all keep the same guarantee. Not thread-safe: the authority holds a lock (or a row lock).
 *
 * <p>Invariant: {@code level + outstanding + reservedBurst <= burst}, where {@code outstanding} is
 * what clients may still spend (each one's report of unspent tokens at its last request plus what
 * it was granted then) until its lease has ended, and the bucket refills at {@code rate -
 * reservedRate}. A client the authority has stopped hearing from (its lease ended without a
 * renewal, and it did not say it went idle) may be admitting at its fallback rate; its fallback
 * rate and burst stay reserved until its fallback could have ended. Admitted calls in any window w
 * are at most the tokens held at its start plus the grants and the fallback admissions during it,
 * so at most {@code burst + rate * w}, whoever can reach the authority.
 *
 * <p>Cost, for C clients: a grant is O(log C) (a sorted map of time bins, a Fenwick tree of
 * demands, an access-ordered map of clients) and allocates at most a bin; lapsed leases are
 * released a time bin at a time ({@link #binNanos()} wide) from the bin's sums (tokens, fallback
 * rate and burst, demands by slot), without touching its clients: releasing every lease of C
 * clients costs O(bins), not O(C). A client's state follows from its bin (not started: its lease
 * runs; started: its fallback is kept aside; ended: kept aside in the bin it moved to), and is
 * undone from those sums when it is heard from again. Clients not heard from for
 * {@link #KNOWN_CLIENT_TTL_NANOS} are forgotten, oldest first.
 */
public final class BucketLedger {

    /** Leases are never shorter than this, so authority traffic stays bounded. */
    public static final long MIN_LEASE_NANOS = 20_000_000L;

    /** A client counts as known (for the safe rate) this long after its last request. */
    public static final long KNOWN_CLIENT_TTL_NANOS = 60_000_000_000L;

    /** The rate a bucket with {@code rate=auto} and no ceiling may reach. */
    public static final double UNBOUNDED_RATE = 1e12;

    private static final long NONE = Long.MIN_VALUE;
    private static final int IDLE = 0;
    private static final int ACTIVE = 1;   // was granted a lease; in the bin of its lease's end (see Client.bin)
    // the stored form (v2) also knew RESERVED = 2: silent after its lease, its fallback kept aside in the bin of its end
    private static final int RESERVED = 2;

    // ---- definition
    private double rate;        // R, or the ceiling of rate=auto; 0 until defined
    private long burst;         // B; 0 with rate=auto: one second of the current rate
    private boolean adaptive;
    private final RateControl control = new RateControl();

    // ---- the bucket
    private double level;
    private long last = NONE;
    private long outstanding;
    private double reservedRate;
    private long reservedBurst;
    private long pausedUntil = NONE;
    private int binShift;
    private long lastLease;

    // ---- clients
    private final LinkedHashMap<String, Client> clients = new LinkedHashMap<>(16, 0.75f, true);
    private final TreeMap<Long, Bin> bins = new TreeMap<>();
    private Bin recentBin; // most grants land in the bin of the one before: no lookup, no boxing
    private Bin freeBins;  // removed bins nothing refers to, to be used again
    private int freeCount;
    private static final int MAX_FREE_BINS = 64;
    // fallback reservations moved out of lapsed bins end on a coarser grid (16 bins, about a quarter lease): a
    // little later, never earlier, and the leases of a whole lease period lapsing make a few bins, not one each
    private static final int FALLBACK_GRID_SHIFT = 4;
    private DemandIndex demand; // made on first use, dropped when no client is active

    private static final class Client {
        final String id;
        int state = IDLE;
        long outstanding;
        long releaseAt = NONE;
        double demand;
        double shareCarry;
        long demandUnits;    // its demand as the index counts it, while active
        int slot = -1;       // its slot in the demand index while active
        long lastSeen;
        long lastRequestAt = NONE;
        double fallbackRate;
        long fallbackBurst;
        long fallbackEnd = NONE;
        // ACTIVE: the bin of its lease's end. Its state follows from the bin: not started, its lease runs (it
        // counts in the bin's sums and the demand index); started, its fallback is kept aside; removed, its
        // fallback is kept aside until the end of bin.movedTo (nothing, once that one is removed too).
        Bin bin;

        Client(String id) {
            this.id = id;
        }
    }

    /** Everything that happens to the bucket in one interval of time [index << shift, (index + 1) << shift). */
    private static final class Bin {
        long index;
        long outstanding;    // lease tokens that return to the pool at the bin's end
        double rateEnding;   // reserved fallback rate that ends at the bin's end
        long burstEnding;
        boolean started;
        boolean removed;
        // the sums of the clients whose lease ends here (not heard from since): their fallback, kept aside from the
        // bin's start and, at its end, until movedTo's end (no earlier than the latest of their fallback ends)
        double fallbackRate;
        long fallbackBurst;
        long fallbackEnd = NONE;
        Bin movedTo;
        boolean target;      // some bin's movedTo: never reused
        Bin nextFree;
        int clients;
        // their demands by slot (a few distinct slots in practice), taken out of the demand index at the bin's start
        int slotCount;
        int[] slots;
        long[] slotClients;
        long[] slotUnits;

        Bin(long index) {
            this.index = index;
        }

        /** A bin used again for another interval (its slot arrays kept), so a grant in a new bin allocates nothing. */
        Bin reuse(long newIndex) {
            index = newIndex;
            outstanding = 0;
            rateEnding = 0;
            burstEnding = 0;
            started = false;
            removed = false;
            fallbackRate = 0;
            fallbackBurst = 0;
            fallbackEnd = NONE;
            movedTo = null;
            nextFree = null;
            clients = 0;
            slotCount = 0;
            return this;
        }

        void addDemand(int slot, long clients, long units) {
            for (int i = 0; i < slotCount; i++) {
                if (slots[i] == slot) {
                    slotClients[i] += clients;
                    slotUnits[i] += units;
                    if (slotClients[i] == 0) { // keep the arrays short: drop the emptied slot
                        slotCount--;
                        slots[i] = slots[slotCount];
                        slotClients[i] = slotClients[slotCount];
                        slotUnits[i] = slotUnits[slotCount];
                    }
                    return;
                }
            }
            if (slots == null) {
                slots = new int[2];
                slotClients = new long[2];
                slotUnits = new long[2];
            } else if (slotCount == slots.length) {
                slots = java.util.Arrays.copyOf(slots, slotCount * 2);
                slotClients = java.util.Arrays.copyOf(slotClients, slotCount * 2);
                slotUnits = java.util.Arrays.copyOf(slotUnits, slotCount * 2);
            }
            slots[slotCount] = slot;
            slotClients[slotCount] = clients;
            slotUnits[slotCount] = units;
            slotCount++;
        }
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
    public static long graceNanos(long lease) {
        return lease / 4;
    }

    /** How long a client may admit at its fallback rate without reaching the authority (and the authority keeps it aside). */
    public static long fallbackNanos(long lease) {
        return Math.max(10 * lease, KNOWN_CLIENT_TTL_NANOS);
    }

    /**
     * Sets the bucket's rate and burst from the authority's own configuration (the Spark conf, an
     * operator changing a shared quota). Clients declaring anything else are then refused.
     */
    public void define(double rate, long burst) {
        define(rate, burst, false);
    }

    /** As {@link #define(double, long)}; with {@code adaptive}, {@code rate} is the ceiling of {@code rate=auto}. */
    public void define(double rate, long burst, boolean adaptive) {
        boolean changed = this.rate != rate || this.burst != burst || this.adaptive != adaptive;
        this.rate = rate;
        this.burst = burst;
        this.adaptive = adaptive;
        if (changed) {
            if (adaptive) {
                control.adaptive(rate, rate < UNBOUNDED_RATE);
            } else {
                control.fixed(rate);
            }
        }
        if (last == NONE) {
            level = burstNow();
        } else {
            level = Math.max(0, Math.min(level, capacity()));
        }
    }

    /** True once the bucket has a rate: defined by configuration or by its first client. */
    public boolean isDefined() {
        return rate > 0;
    }

    /** R (fixed), or the ceiling of {@code rate=auto}. */
    public double rate() {
        return rate;
    }

    public long burst() {
        return burst;
    }

    public boolean adaptive() {
        return adaptive;
    }

    /** The rate grants are made at now: R, less while recovering from throttling, or where auto has got to. */
    public double currentRate() {
        return control.current;
    }

    /**
     * One lease. The authority owns the rate and burst: the first definition (its configuration, or
     * else its first client's) stands, and a client that declares another is refused with both named.
     */
    public LeaseResponse grant(LeaseRequest r, long nowNanos) {
        long now = last == NONE ? nowNanos : Math.max(nowNanos, last); // clocks of several hosts may disagree a little
        if (!isDefined()) {
            define(r.rate(), r.burst(), r.adaptive());
        }
        if (rate != r.rate() || burst != r.burst() || adaptive != r.adaptive()) {
            return LeaseResponse.refused("limiter '" + r.bucket() + "' is defined at its authority with "
                + describe(adaptive, rate, burst) + "; client " + r.clientId() + " declares "
                + describe(r.adaptive(), r.rate(), r.burst()) + ". A limiter's rate lives at its authority: define it"
                + " once (see docs/guide-rate-limiting.md, \"Where a limiter's rate lives\")",
                effectiveLeaseNanos(rate, Math.max(1, burstNow()), r.leaseNanos()), Math.max(1, clients.size()));
        }
        long lease = effectiveLeaseNanos(control.current, Math.max(1, burstNow()), r.leaseNanos());
        if (last == NONE) {
            level = Math.min(level, burstNow());
            last = now;
        }
        if (binShift == 0) {
            binShift = Math.max(10, 63 - Long.numberOfLeadingZeros(Math.max(1, lease / 64)));
        }
        lastLease = lease;
        advance(now);
        forgetSilent(now);

        Client c = clients.computeIfAbsent(r.clientId(), Client::new);
        if (c.state == ACTIVE && !c.bin.removed) {
            control.onSpent(Math.max(0, c.outstanding - r.heldTokens())); // what it admitted since it last asked
        }
        detach(c, now, lease, false);
        c.lastSeen = now;
        // The client can only have spent since its last request, so its report is the tighter bound.
        c.outstanding = r.heldTokens();
        outstanding += c.outstanding;
        c.demand = r.idle() ? 0 : r.demandPerSecond();

        ThrottleSignal t = r.throttle();
        if (t != null) {
            onThrottle(t, now, lease);
        }
        double current = updateRate(now, c);
        level = Math.max(0, Math.min(level, capacity()));
        int known = Math.max(1, clients.size());
        double fallbackRate = current / known;
        if (r.idle() && c.outstanding == 0) {
            c.state = IDLE; // nothing to release, nothing kept aside: it asks again before it admits
            c.lastRequestAt = now;
            return new LeaseResponse(0, lease, known, 0, null, current, fallbackRate, fallbackNanos(lease),
                pauseLeft(now));
        }
        activate(c);
        double share = shareOf(c, Math.max(0, current - reservedRate));
        long interval = c.lastRequestAt == NONE ? lease : Math.min(lease, Math.max(lease / 4, now - c.lastRequestAt));
        // The share over the interval, with the fraction left from the last grant carried over, so the
        // shares of saturated clients add up to the rate exactly (rounding each up would exceed it);
        // at least one token, so a small share is not starved by rounding (the debt is carried too).
        double byShare = share * interval / 1e9 + c.shareCarry;
        long cap = byShare > 0 ? Math.max(1, (long) Math.floor(byShare)) : 0;
        long grant = (long) Math.floor(Math.min(Math.min((double) r.wantedTokens(), level), cap));
        if (paused(now)) {
            grant = 0;
        }
        grant = Math.max(0, grant);
        // the cap bound (a debt is repaid, a fraction kept); the level or the wish bound: nothing owed either way
        c.shareCarry = grant == cap ? Math.max(-1, Math.min(1, byShare - grant)) : 0;
        level -= grant;
        c.outstanding += grant;
        outstanding += grant;
        c.releaseAt = now + lease + graceNanos(lease);
        if (paused(now)) {
            // told to wait, the client asks again when the pause ends and cannot fall back before: it is not
            // silent (nor its fallback kept aside) until then
            c.releaseAt = Math.max(c.releaseAt, pausedUntil + graceNanos(lease));
        }
        c.lastRequestAt = now;
        c.fallbackRate = fallbackRate;
        c.fallbackBurst = fallbackBurstOf(fallbackRate);
        c.fallbackEnd = now + fallbackNanos(lease);
        c.state = ACTIVE;
        attach(c, binOf(c.releaseAt));
        return new LeaseResponse(grant, lease, known, share, null, current, fallbackRate, fallbackNanos(lease),
            pauseLeft(now));
    }

    /** Where a bucket of {@code rate=auto} up to {@code ceiling} starts ({@link #UNBOUNDED_RATE}: no ceiling). */
    public static double initialAdaptiveRate(double ceiling) {
        return RateControl.initial(ceiling, ceiling < UNBOUNDED_RATE);
    }

    /** The fallback bucket's burst a client uses at {@code fallbackRate} (a tenth of a second of it, at least 1). */
    public static long fallbackBurstOf(double fallbackRate) {
        return Math.max(1, (long) Math.floor(fallbackRate / 10));
    }

    private static String describe(boolean adaptive, double rate, long burst) {
        if (adaptive) {
            return "rate auto" + (rate < UNBOUNDED_RATE ? " up to " + rate + "/s" : "") + " and burst "
                + (burst == 0 ? "one second of rate" : Long.toString(burst));
        }
        return "rate " + rate + "/s and burst " + burst;
    }

    private double updateRate(long now, Client me) {
        // saturated: the active clients (this one with its new demand) want at least 90% of the rate
        double wanted = (demand == null ? 0 : demand.total()) + (me.slot < 0 ? me.demand : 0);
        double before = control.current;
        double current = control.update(now, wanted >= 0.9 * before);
        if (current != before && burst == 0) {
            level = Math.min(level, capacity());
        }
        return current;
    }

    private void onThrottle(ThrottleSignal t, long now, long lease) {
        // tokens banked at the old rate would overshoot again at once
        level *= control.onThrottle(now, lease, t.count());
        if (!adaptive && t.hintNanos() > 0) {
            // the service said when to come back: nobody is granted anything until then, and the bucket
            // resumes from empty, as a local bucket does
            long until = now + t.hintNanos();
            if (pausedUntil == NONE || until > pausedUntil) {
                pausedUntil = until;
            }
            level = 0;
        }
    }

    private boolean paused(long now) {
        return pausedUntil != NONE && now < pausedUntil;
    }

    private long pauseLeft(long now) {
        return paused(now) ? pausedUntil - now : 0;
    }

    private long burstNow() {
        return burst > 0 ? burst : Math.max(1, (long) Math.ceil(control.current));
    }

    private double capacity() {
        return burstNow() - outstanding - reservedBurst;
    }

    /** Available tokens at the last update; for tests and metrics. */
    public double level() {
        return level;
    }

    public long totalOutstanding() {
        return outstanding;
    }

    /** The fallback rate kept aside for clients the authority stopped hearing from; for tests and metrics. */
    public double reservedRate() {
        return reservedRate;
    }

    /** Clients known now (heard from within the known-client TTL); for tests and metrics. */
    public int knownClients() {
        return clients.size();
    }

    /** Width of the time bins leases are released by (about a 64th of a lease). */
    public long binNanos() {
        return binShift == 0 ? 0 : 1L << binShift;
    }

    /** True if nothing is held, reserved or known and the bucket has refilled: the ledger can be dropped. */
    public boolean isIdle(long nowNanos) {
        if (!clients.isEmpty() || !bins.isEmpty() || outstanding != 0 || reservedBurst != 0 || paused(nowNanos)) {
            return false;
        }
        // full: a new ledger (which starts full) would change nothing
        return last == NONE || level >= burstNow();
    }

    /** Forgets clients not heard from within the TTL and releases what has lapsed; for authorities sweeping idle buckets. */
    public void expire(long nowNanos) {
        if (last == NONE) {
            return;
        }
        long now = Math.max(nowNanos, last);
        advance(now);
        forgetSilent(now);
    }

    /** {@link #forget(String, long)} for every client whose id {@code gone} accepts; returns how many. */
    public int forgetAll(java.util.function.Predicate<String> gone, long nowNanos) {
        List<String> ids = new ArrayList<>();
        for (String id : clients.keySet()) {
            if (gone.test(id)) {
                ids.add(id);
            }
        }
        int n = 0;
        for (String id : ids) {
            if (forget(id, nowNanos)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Forgets a client that is known to be gone (its process ended: the Spark driver was told its
     * executor was removed), releasing at once the fallback kept aside for it. A client that is
     * merely silent may still be admitting at its fallback rate, so its reservation runs out by
     * itself (up to {@link #fallbackNanos}); a dead one admits nothing, and keeping its share aside
     * would leave the survivors with {@code R - R/known} for up to a minute. The tokens it held are
     * not given back: it may have spent them in the current window. Returns true if it was known.
     */
    public boolean forget(String clientId, long nowNanos) {
        Client c = clients.get(clientId);
        if (c == null) {
            return false;
        }
        long now = last == NONE ? nowNanos : Math.max(nowNanos, last);
        advance(now);
        detach(c, now, lastLease, true);
        clients.remove(clientId);
        level = Math.max(0, Math.min(level, capacity()));
        return true;
    }

    // ------------------------------------------------------------------ clients in time bins

    /**
     * Takes the client out of its bin, undoing what it held there: its lease tokens, its reservation.
     * A fallback already kept aside for it stays aside a grace longer ({@link #linger}: it may have
     * admitted until our answer reached it), unless the client is {@code gone}: then it is released now.
     */
    private void detach(Client c, long now, long lease, boolean gone) {
        Bin b = c.bin;
        if (c.state == ACTIVE && b != null) {
            if (!b.removed) {
                b.clients--;
                b.outstanding -= c.outstanding;
                outstanding -= c.outstanding;
                b.fallbackRate -= c.fallbackRate;
                b.fallbackBurst -= c.fallbackBurst;
                if (b.started) {
                    endReservation(c, now, lease, gone); // its fallback was kept aside at the bin's start
                } else {
                    b.addDemand(c.slot, -1, -c.demandUnits);
                    deactivate(c);
                }
            } else if (b.movedTo != null && !b.movedTo.removed) {
                // silent past its lease: its fallback is kept aside until the end of the bin it moved to
                Bin e = b.movedTo;
                e.rateEnding -= c.fallbackRate;
                e.burstEnding -= c.fallbackBurst;
                endReservation(c, now, lease, gone);
            }
        }
        c.slot = -1; // out of the demand index: by deactivate, or with its bin's sums at the bin's start
        c.outstanding = 0;
        c.state = IDLE;
        c.bin = null;
    }

    /** Ends the reservation kept aside for {@code c}: now if it is gone, else a grace from now. */
    private void endReservation(Client c, long now, long lease, boolean gone) {
        if (gone) {
            reservedRate = Math.max(0, reservedRate - c.fallbackRate);
            reservedBurst -= c.fallbackBurst;
        } else {
            linger(c, now, lease);
        }
    }

    /**
     * A client heard from again may have admitted at its fallback rate until our answer reached it:
     * keep its reservation a grace longer.
     */
    private void linger(Client c, long now, long lease) {
        Bin b = binOf(now + graceNanos(lease));
        b.rateEnding += c.fallbackRate;
        b.burstEnding += c.fallbackBurst;
    }

    /** Adds an active client (in the demand index, holding {@code c.outstanding}) to the sums of its lease's bin. */
    private void attach(Client c, Bin b) {
        c.bin = b;
        b.clients++;
        b.outstanding += c.outstanding;
        b.fallbackRate += c.fallbackRate;
        b.fallbackBurst += c.fallbackBurst;
        b.fallbackEnd = Math.max(b.fallbackEnd, c.fallbackEnd);
        if (c.slot >= 0) {
            b.addDemand(c.slot, 1, c.demandUnits);
        }
    }

    private Bin binOf(long t) {
        long index = t >> binShift;
        Bin r = recentBin;
        if (r != null && r.index == index && !r.removed) {
            return r;
        }
        Bin b = bins.get(index);
        if (b == null) {
            if (freeBins != null) {
                b = freeBins;
                freeBins = b.nextFree;
                freeCount--;
                b.reuse(index);
            } else {
                b = new Bin(index);
            }
            bins.put(index, b);
        }
        recentBin = b;
        return b;
    }

    /**
     * Refills up to {@code now}, handling each time bin on the safe side: a lease's tokens return at
     * its bin's end (no earlier than the lease's end), a silent client's fallback is kept aside from
     * its bin's start (no later than the client may begin it), and ends at its bin's end.
     */
    private void advance(long now) {
        try {
            advanceBins(now);
        } finally {
            if (demand != null) {
                demand.endBulk();
            }
        }
        refillTo(now);
    }

    /** Past this many demand slots taken out by one advance, the demand index is rebuilt once instead (O(S), not O(k log S)). */
    private static final int BULK_AFTER = 64;

    private void advanceBins(long now) {
        int deactivated = 0;
        while (!bins.isEmpty()) {
            Long key = bins.firstKey();
            Bin b = bins.get(key);
            long start = b.index << binShift;
            long end = (b.index + 1) << binShift;
            if (start > now) {
                break;
            }
            if (!b.started) {
                refillTo(start);
                b.started = true;
                if (b.clients > 0) {
                    // its clients' leases may be over from here on: their fallback is kept aside, their demand leaves the index
                    reservedRate += b.fallbackRate;
                    reservedBurst += b.fallbackBurst;
                    if (demand != null && b.slotCount > 0) {
                        deactivated += b.slotCount;
                        if (deactivated >= BULK_AFTER) {
                            demand.beginBulk();
                        }
                        for (int i = 0; i < b.slotCount; i++) {
                            demand.remove(b.slots[i], b.slotClients[i], b.slotUnits[i]);
                        }
                        if (demand.count() == 0) {
                            demand = null;
                        }
                    }
                }
                level = Math.max(0, Math.min(level, capacity()));
            }
            if (end > now) {
                break;
            }
            refillTo(end);
            bins.remove(key);
            b.removed = true;
            outstanding -= b.outstanding;
            reservedRate = Math.max(0, reservedRate - b.rateEnding);
            reservedBurst -= b.burstEnding;
            if (b.clients > 0) {
                // silent past their leases (they did not say they went idle): their fallback stays aside until it could have ended
                long grid = binShift + FALLBACK_GRID_SHIFT;
                long until = Math.max(b.fallbackEnd, end);
                Bin e = binOf(((until >> grid) + 1 << grid) - 1);
                e.rateEnding += b.fallbackRate;
                e.burstEnding += b.fallbackBurst;
                e.target = true;
                b.movedTo = e;
            } else if (!b.target && freeCount < MAX_FREE_BINS) {
                b.nextFree = freeBins; // no client and no other bin refers to it
                freeBins = b;
                freeCount++;
            }
            if (bins.isEmpty()) {
                // no drift from adding and removing doubles
                reservedRate = 0;
            }
        }
    }

    private void refillTo(long t) {
        if (t <= last) {
            return;
        }
        long from = last;
        last = t;
        if (pausedUntil != NONE) {
            if (t <= pausedUntil) {
                return; // no refill during a pause
            }
            from = Math.max(from, pausedUntil);
            pausedUntil = NONE;
        }
        double r = Math.max(0, control.current - reservedRate);
        level = Math.max(0, Math.min(level + r * (t - from) / 1e9, capacity()));
    }

    /** Clients not heard from for the TTL are forgotten, oldest first (the map is in access order). */
    private void forgetSilent(long now) {
        long ttl = fallbackNanos(lastLease);
        for (Iterator<Client> it = clients.values().iterator(); it.hasNext(); ) {
            Client c = it.next();
            if (now - c.lastSeen <= ttl) {
                break;
            }
            // its lease ended long ago; a reservation still in its bin's sums ends there by itself
            it.remove();
        }
    }

    // ------------------------------------------------------------------ fairness

    private void activate(Client c) {
        if (demand == null) {
            demand = new DemandIndex();
        }
        c.slot = DemandIndex.slotOf(c.demand);
        c.demandUnits = DemandIndex.units(c.demand);
        demand.add(c.slot, c.demandUnits);
    }

    private void deactivate(Client c) {
        if (c.slot >= 0) {
            demand.remove(c.slot, 1, c.demandUnits);
            c.slot = -1;
            if (demand.count() == 0) {
                demand = null;
            }
        }
    }

    /**
     * Max-min fair split of {@code available} by demand among clients holding a live lease: a client
     * that wants less than its equal share gets what it wants, the rest is split among the others;
     * rate nobody wants is spread evenly so a client whose demand grows can take it at once.
     */
    private double shareOf(Client me, double available) {
        double waterLevel = demand.waterLevel(available);
        if (Double.isInfinite(waterLevel)) {
            return me.demand + Math.max(0, available - demand.total()) / demand.count();
        }
        return Math.min(me.demand, waterLevel);
    }

    // ------------------------------------------------------------------ stored form

    /** A compact text form, for authorities that store the ledger (one JDBC row per bucket). */
    public String encode() {
        StringBuilder sb = new StringBuilder(160 + clients.size() * 96);
        sb.append("v3 ").append(rate).append(' ').append(burst).append(' ').append(adaptive).append(' ').append(level)
            .append(' ').append(last).append(' ').append(outstanding).append(' ').append(reservedRate).append(' ')
            .append(reservedBurst).append(' ').append(pausedUntil).append(' ').append(binShift).append(' ').append(lastLease).append(' ')
            .append(control.encode());
        // the bins with their sums (clients forgotten while their reservation runs are only there)
        for (Bin b : bins.values()) {
            sb.append("\nb ").append(b.index).append(' ').append(b.started).append(' ').append(b.outstanding).append(' ')
                .append(b.rateEnding).append(' ').append(b.burstEnding).append(' ').append(b.clients).append(' ')
                .append(b.fallbackRate).append(' ').append(b.fallbackBurst).append(' ').append(b.fallbackEnd).append(' ')
                .append(b.slotCount);
            for (int i = 0; i < b.slotCount; i++) {
                sb.append(' ').append(b.slots[i]).append(' ').append(b.slotClients[i]).append(' ').append(b.slotUnits[i]);
            }
        }
        for (Client c : clients.values()) {
            Bin b = c.state == ACTIVE ? c.bin : null;
            long bin = b == null || b.removed ? NONE : b.index;
            long moved = b != null && b.removed && b.movedTo != null && !b.movedTo.removed ? b.movedTo.index : NONE;
            sb.append("\nc ").append(URLEncoder.encode(c.id, StandardCharsets.UTF_8)).append(' ')
                .append(bin == NONE && moved == NONE ? IDLE : c.state).append(' ')
                .append(bin == NONE ? 0 : c.outstanding).append(' ').append(c.releaseAt).append(' ')
                .append(c.demand).append(' ').append(c.lastSeen).append(' ').append(c.lastRequestAt).append(' ')
                .append(c.fallbackRate).append(' ').append(c.fallbackBurst).append(' ').append(c.fallbackEnd).append(' ')
                .append(bin).append(' ').append(moved).append(' ').append(c.shareCarry);
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
        if ("v1".equals(h[0]) && h.length == 5) {
            return decodeV1(lines, h);
        }
        boolean v2 = "v2".equals(h[0]);
        if (!(v2 || "v3".equals(h[0])) || h.length != 12 + RateControl.ENCODED_FIELDS) {
            throw new IllegalStateException("unreadable token bucket ledger (version " + h[0] + ")");
        }
        l.rate = Double.parseDouble(h[1]);
        l.burst = Long.parseLong(h[2]);
        l.adaptive = Boolean.parseBoolean(h[3]);
        l.level = Double.parseDouble(h[4]);
        l.last = Long.parseLong(h[5]);
        l.outstanding = Long.parseLong(h[6]);
        l.reservedRate = Double.parseDouble(h[7]);
        l.reservedBurst = Long.parseLong(h[8]);
        l.pausedUntil = Long.parseLong(h[9]);
        l.binShift = Integer.parseInt(h[10]);
        l.lastLease = Long.parseLong(h[11]);
        l.control.copyFrom(RateControl.decode(h, 12));
        java.util.Map<Long, Bin> lapsed = new java.util.HashMap<>(); // a removed bin standing for each bin moved to
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            if (f[0].equals("b")) {
                Bin b = new Bin(Long.parseLong(f[1]));
                b.started = Boolean.parseBoolean(f[2]);
                b.outstanding = Long.parseLong(f[3]);
                b.rateEnding = Double.parseDouble(f[4]);
                b.burstEnding = Long.parseLong(f[5]);
                if (!v2) {
                    b.clients = Integer.parseInt(f[6]);
                    b.fallbackRate = Double.parseDouble(f[7]);
                    b.fallbackBurst = Long.parseLong(f[8]);
                    b.fallbackEnd = Long.parseLong(f[9]);
                    int n = Integer.parseInt(f[10]);
                    for (int k = 0; k < n; k++) {
                        b.addDemand(Integer.parseInt(f[11 + 3 * k]), Long.parseLong(f[12 + 3 * k]), Long.parseLong(f[13 + 3 * k]));
                    }
                }
                l.bins.put(b.index, b);
                continue;
            }
            if (v2) {
                l.decodeV2Client(f, lapsed);
                continue;
            }
            Client c = new Client(URLDecoder.decode(f[1], StandardCharsets.UTF_8));
            c.state = Integer.parseInt(f[2]);
            c.outstanding = Long.parseLong(f[3]);
            c.releaseAt = Long.parseLong(f[4]);
            c.demand = Double.parseDouble(f[5]);
            c.lastSeen = Long.parseLong(f[6]);
            c.lastRequestAt = Long.parseLong(f[7]);
            c.fallbackRate = Double.parseDouble(f[8]);
            c.fallbackBurst = Long.parseLong(f[9]);
            c.fallbackEnd = Long.parseLong(f[10]);
            long bin = Long.parseLong(f[11]);
            long moved = Long.parseLong(f[12]);
            c.shareCarry = Double.parseDouble(f[13]);
            if (bin != NONE) {
                c.bin = l.storedBin(bin);
                if (!c.bin.started) {
                    l.activate(c); // the bin's sums already count it
                }
            } else if (moved != NONE) {
                c.bin = lapsed.computeIfAbsent(moved, l::lapsedInto);
            }
            l.clients.put(c.id, c);
        }
        return l;
    }

    private Bin storedBin(long index) {
        Bin b = bins.get(index);
        if (b == null) {
            throw new IllegalStateException("unreadable token bucket ledger (client in a missing bin)");
        }
        return b;
    }

    /** A removed bin whose clients' fallback is kept aside until the end of the stored bin {@code index}. */
    private Bin lapsedInto(long index) {
        Bin b = new Bin(NONE);
        b.removed = true;
        b.movedTo = storedBin(index);
        b.movedTo.target = true;
        return b;
    }

    /** A client of the second stored form (clients linked into bins, no sums per bin): its part of the sums. */
    private void decodeV2Client(String[] f, java.util.Map<Long, Bin> lapsed) {
        boolean forgotten = f[0].equals("z");
        int o = forgotten ? 1 : 0;
        Client c = new Client(URLDecoder.decode(f[1 + o], StandardCharsets.UTF_8));
        c.state = Integer.parseInt(f[2 + o]);
        c.outstanding = Long.parseLong(f[4 + o]);
        c.releaseAt = Long.parseLong(f[5 + o]);
        c.demand = Double.parseDouble(f[6 + o]);
        c.lastSeen = Long.parseLong(f[7 + o]);
        c.lastRequestAt = Long.parseLong(f[8 + o]);
        c.fallbackRate = Double.parseDouble(f[9 + o]);
        c.fallbackBurst = Long.parseLong(f[10 + o]);
        c.fallbackEnd = Long.parseLong(f[11 + o]);
        long bin = Long.parseLong(f[12 + o]);
        c.shareCarry = Double.parseDouble(f[13 + o]);
        if (bin != NONE && c.state == ACTIVE) {
            Bin b = storedBin(bin);
            long held = c.outstanding;
            if (!b.started) {
                activate(c);
            }
            c.outstanding = 0; // the bin's stored tokens already count it
            attach(c, b);
            c.outstanding = held;
        } else if (bin != NONE && c.state == RESERVED) {
            c.state = ACTIVE;
            c.outstanding = 0;
            c.bin = lapsed.computeIfAbsent(bin, this::lapsedInto);
        } else {
            c.state = IDLE;
            c.outstanding = 0;
        }
        if (!forgotten) {
            clients.put(c.id, c);
        }
    }

    /** The first stored form: clients with lease ends, no reservations, a fixed rate. */
    private static BucketLedger decodeV1(String[] lines, String[] h) {
        BucketLedger l = new BucketLedger();
        l.rate = Double.parseDouble(h[1]);
        l.burst = Long.parseLong(h[2]);
        l.control.fixed(l.rate);
        l.level = Double.parseDouble(h[3]);
        l.last = Long.parseLong(h[4]);
        long lease = effectiveLeaseNanos(l.rate, l.burst, Long.MAX_VALUE / 4);
        l.binShift = Math.max(10, 63 - Long.numberOfLeadingZeros(Math.max(1, lease / 64)));
        l.lastLease = lease;
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            Client c = new Client(URLDecoder.decode(f[0], StandardCharsets.UTF_8));
            c.outstanding = Long.parseLong(f[1]);
            c.releaseAt = Long.parseLong(f[2]);
            c.demand = Double.parseDouble(f[3]);
            c.lastSeen = Long.parseLong(f[4]);
            c.lastRequestAt = Long.parseLong(f[5]);
            if (c.outstanding > 0 && c.releaseAt != NONE && c.releaseAt > l.last) {
                c.state = ACTIVE;
                c.fallbackEnd = c.releaseAt; // the first form kept nothing aside
                l.outstanding += c.outstanding;
                l.activate(c);
                l.attach(c, l.binOf(c.releaseAt));
            } else {
                c.outstanding = 0;
            }
            l.clients.put(c.id, c);
        }
        return l;
    }
}
