package io.resiliencekit.spi;

import java.io.Serializable;

/**
 * The authority's answer: new tokens, valid (together with the tokens the client still held) for
 * {@code leaseNanos} from when the client sent its request. Immutable and {@link Serializable}.
 *
 * @param grantedTokens  new tokens, already debited from the global bucket; may be 0
 * @param leaseNanos     how long the client may spend its tokens, counted from when it sent the request
 * @param knownClients   clients the authority has heard from recently (at least 1); the client's
 *                       safe rate when the authority is unreachable is {@code rate / knownClients}
 * @param shareRate      the rate (permits/s) the authority currently allots this client by demand
 */
public record LeaseResponse(long grantedTokens, long leaseNanos, int knownClients, double shareRate)
    implements Serializable {

    private static final long serialVersionUID = 1L;

    public LeaseResponse {
        if (grantedTokens < 0 || leaseNanos <= 0 || knownClients < 1) {
            throw new IllegalArgumentException("invalid lease response: granted=" + grantedTokens
                + " leaseNanos=" + leaseNanos + " knownClients=" + knownClients);
        }
    }
}
