package io.resiliencekit.spi;

import java.io.Serializable;
import java.util.Objects;

/**
 * One client's request for its next lease on a global bucket. Immutable and {@link Serializable}
 * so a remote authority can receive it as is (Spark RPC, for instance).
 *
 * <pre>{@code
 * LeaseRequest r = new LeaseRequest("orders-api", "executor-3", 100.0, 100, 500_000_000L, 0, 40, 80.0);
 * LeaseRequest throttled = r.withThrottle(new ThrottleSignal(1_000_000_000L, 1));   // the API said 429, Retry-After: 1
 * }</pre>
 *
 * @param bucket          name of the global bucket
 * @param clientId        stable id of the client (one per JVM and limiter)
 * @param rate            the bucket's rate R in permits per second, as the client is configured; with
 *                        {@code adaptive}, the highest rate the authority may reach (its ceiling)
 * @param burst           the bucket's burst B in permits; 0 only with {@code adaptive}: one second of the
 *                        current rate
 * @param leaseNanos      lease length the client asks for; the authority may shorten it
 * @param heldTokens      tokens of earlier leases the client still holds unspent; they stay
 *                        outstanding and expire with the new lease
 * @param wantedTokens    new tokens the client would like (sized from its measured demand)
 * @param demandPerSecond the client's measured demand (admitted plus refused permits per second)
 * @param adaptive        the client declares {@code rate=auto}: the authority finds the rate from throttle
 *                        signals, up to {@code rate}
 * @param throttle        throttle answers the client's calls received since its previous request, or null
 * @param idle            the client has gone idle: it holds nothing and wants nothing, so the authority need
 *                        not keep its fallback share for it (see {@link LeaseResponse#fallbackRate()})
 */
public record LeaseRequest(String bucket, String clientId, double rate, long burst, long leaseNanos,
                           long heldTokens, long wantedTokens, double demandPerSecond, boolean adaptive,
                           ThrottleSignal throttle, boolean idle) implements Serializable {

    private static final long serialVersionUID = 2L;

    public LeaseRequest {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(clientId, "clientId");
        if (!(rate > 0) || burst < (adaptive ? 0 : 1) || leaseNanos <= 0 || heldTokens < 0 || wantedTokens < 0
            || !(demandPerSecond >= 0)) {
            throw new IllegalArgumentException("invalid lease request: " + bucket + "/" + clientId + " rate=" + rate
                + " burst=" + burst + " leaseNanos=" + leaseNanos + " held=" + heldTokens + " wanted="
                + wantedTokens + " demand=" + demandPerSecond);
        }
    }

    /** A plain request for a bucket of fixed rate, with no throttle to report. */
    public LeaseRequest(String bucket, String clientId, double rate, long burst, long leaseNanos, long heldTokens,
                        long wantedTokens, double demandPerSecond) {
        this(bucket, clientId, rate, burst, leaseNanos, heldTokens, wantedTokens, demandPerSecond, false, null, false);
    }

    /** The same request, reporting {@code signal} (merged with any already reported). */
    public LeaseRequest withThrottle(ThrottleSignal signal) {
        ThrottleSignal t = throttle == null ? signal : throttle.merge(signal);
        return new LeaseRequest(bucket, clientId, rate, burst, leaseNanos, heldTokens, wantedTokens, demandPerSecond,
            adaptive, t, idle);
    }
}
