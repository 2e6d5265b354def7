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
 * @param knownClients   clients the authority has heard from recently (at least 1)
 * @param shareRate      the rate (permits/s) the authority currently allots this client by demand
 * @param refusal        null, or why the authority refuses this client altogether: the client declares
 *                       another rate or burst than the one the authority owns (the message names both)
 * @param rate           the bucket's rate now: its fixed R, lower while it recovers from a throttle
 *                       signal, or where {@code rate=auto} has got to
 * @param fallbackRate   the rate the authority keeps aside for this client if it stops hearing from it:
 *                       when the client cannot reach the authority after its lease has ended, it may admit
 *                       at most this rate (its share of {@code rate / knownClients})
 * @param fallbackNanos  for how long, from when the client sent this request, the fallback is kept aside;
 *                       after that the client admits nothing until the authority answers again
 * @param pauseNanos     grants are paused for the whole bucket for this long (a throttle hint another
 *                       client reported): admit nothing for it, from when the response arrives
 */
public record LeaseResponse(long grantedTokens, long leaseNanos, int knownClients, double shareRate, String refusal,
                            double rate, double fallbackRate, long fallbackNanos, long pauseNanos)
    implements Serializable {

    private static final long serialVersionUID = 3L;

    public LeaseResponse {
        if (grantedTokens < 0 || leaseNanos <= 0 || knownClients < 1 || (refusal != null && grantedTokens != 0)
            || !(rate >= 0) || !(fallbackRate >= 0) || fallbackNanos < 0 || pauseNanos < 0) {
            throw new IllegalArgumentException("invalid lease response: granted=" + grantedTokens
                + " leaseNanos=" + leaseNanos + " knownClients=" + knownClients + " refusal=" + refusal + " rate=" + rate
                + " fallbackRate=" + fallbackRate + " fallbackNanos=" + fallbackNanos + " pauseNanos=" + pauseNanos);
        }
    }

    /** A grant from an authority that keeps no fallback aside and never pauses (the client's own safe rate applies). */
    public LeaseResponse(long grantedTokens, long leaseNanos, int knownClients, double shareRate) {
        this(grantedTokens, leaseNanos, knownClients, shareRate, null, 0, 0, 0, 0);
    }

    /** A refusal: nothing granted, and why. */
    public static LeaseResponse refused(String why, long leaseNanos, int knownClients) {
        return new LeaseResponse(0, leaseNanos, Math.max(1, knownClients), 0.0, why, 0, 0, 0, 0);
    }
}
