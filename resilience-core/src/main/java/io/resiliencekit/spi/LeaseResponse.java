package io.resiliencekit.spi;

import java.io.Serializable;

/**
 * The authority's answer: new tokens, valid (together with the tokens the client still held) for
 * {@code leaseNanos} from when the client sent its request. Immutable and {@link Serializable}.
 *
 * <pre>{@code
 * LeaseResponse r = authority.requestLease(request);
 * if (r.refusal() != null) { ... the client's definition of the limiter conflicts with the authority's ... }
 * }</pre>
 *
 * @param grantedTokens  new tokens, already debited from the global bucket; may be 0
 * @param leaseNanos     how long the client may spend its tokens, counted from when it sent the request
 * @param knownClients   clients the authority has heard from recently (at least 1); the client's
 *                       safe rate when the authority is unreachable is {@code rate / knownClients}
 * @param shareRate      the rate (permits/s) the authority currently allots this client by demand
 * @param refusal        null, or why the authority refuses this client altogether: the client declares
 *                       another rate or burst than the one the authority owns (the message names both)
 */
public record LeaseResponse(long grantedTokens, long leaseNanos, int knownClients, double shareRate, String refusal)
    implements Serializable {

    private static final long serialVersionUID = 2L;

    public LeaseResponse {
        if (grantedTokens < 0 || leaseNanos <= 0 || knownClients < 1 || (refusal != null && grantedTokens != 0)) {
            throw new IllegalArgumentException("invalid lease response: granted=" + grantedTokens
                + " leaseNanos=" + leaseNanos + " knownClients=" + knownClients + " refusal=" + refusal);
        }
    }

    /** A grant. */
    public LeaseResponse(long grantedTokens, long leaseNanos, int knownClients, double shareRate) {
        this(grantedTokens, leaseNanos, knownClients, shareRate, null);
    }

    /** A refusal: nothing granted, and why. */
    public static LeaseResponse refused(String why, long leaseNanos, int knownClients) {
        return new LeaseResponse(0, leaseNanos, Math.max(1, knownClients), 0.0, why);
    }
}
