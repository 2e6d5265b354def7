package io.resiliencekit.spi;

import java.io.Serializable;
import java.util.Objects;

/**
 * One client's request for its next lease on a global bucket. Immutable and {@link Serializable}
 * so a remote authority can receive it as is (Spark RPC, for instance).
 *
 * <pre>{@code
 * LeaseRequest r = new LeaseRequest("orders-api", "executor-3", 100.0, 100, 500_000_000L, 0, 40, 80.0);
 * }</pre>
 *
 * @param bucket          name of the global bucket
 * @param clientId        stable id of the client (one per JVM and limiter)
 * @param rate            the bucket's rate R in permits per second, as the client is configured
 * @param burst           the bucket's burst B in permits
 * @param leaseNanos      lease length the client asks for; the authority may shorten it
 * @param heldTokens      tokens of earlier leases the client still holds unspent; they stay
 *                        outstanding and expire with the new lease
 * @param wantedTokens    new tokens the client would like (sized from its measured demand)
 * @param demandPerSecond the client's measured demand (admitted plus refused permits per second)
 */
public record LeaseRequest(String bucket, String clientId, double rate, long burst, long leaseNanos,
                           long heldTokens, long wantedTokens, double demandPerSecond) implements Serializable {

    private static final long serialVersionUID = 1L;

    public LeaseRequest {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(clientId, "clientId");
        if (!(rate > 0) || burst < 1 || leaseNanos <= 0 || heldTokens < 0 || wantedTokens < 0
            || !(demandPerSecond >= 0)) {
            throw new IllegalArgumentException("invalid lease request: " + bucket + "/" + clientId + " rate=" + rate
                + " burst=" + burst + " leaseNanos=" + leaseNanos + " held=" + heldTokens + " wanted="
                + wantedTokens + " demand=" + demandPerSecond);
        }
    }
}
