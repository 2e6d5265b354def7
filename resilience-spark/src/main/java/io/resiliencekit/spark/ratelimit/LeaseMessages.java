package io.resiliencekit.spark.ratelimit;

import java.io.Serializable;

import io.resiliencekit.spark.ServiceKey;

/** Wire messages between executors' {@link ClusterRateLimiter}s and the driver's {@link DriverTokenAuthority}. */
public final class LeaseMessages {

    private LeaseMessages() {
    }

    public static final ServiceKey<LeaseRequest, Lease> LEASE =
            ServiceKey.of("resiliencekit.ratelimit.lease", LeaseRequest.class, Lease.class);

    /**
     * "I still hold {@code unspent} tokens of my lease; give me up to {@code wanted} more." The rate
     * and burst are the limiter's own spec; a limiter defined in the Spark configuration overrides them.
     */
    public static final class LeaseRequest implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String limiter;
        public final double ratePerSecond;
        public final long burst;
        public final int wanted;
        public final long unspent;

        public LeaseRequest(String limiter, double ratePerSecond, long burst, int wanted, long unspent) {
            this.limiter = limiter;
            this.ratePerSecond = ratePerSecond;
            this.burst = burst;
            this.wanted = wanted;
            this.unspent = unspent;
        }
    }

    /**
     * {@code granted} new tokens; all the client's tokens (old and new) may be spent for
     * {@code validNanos} from when the reply arrives, then they lapse. When nothing was granted,
     * {@code retryAfterNanos} says when a token is expected. {@code clients} and the effective
     * {@code ratePerSecond} let the client fall back to {@code rate / clients} if the driver is lost.
     */
    public static final class Lease implements Serializable {
        private static final long serialVersionUID = 1L;
        public final int granted;
        public final long validNanos;
        public final long retryAfterNanos;
        public final int clients;
        public final double ratePerSecond;
        public final long burst;

        public Lease(int granted, long validNanos, long retryAfterNanos, int clients, double ratePerSecond, long burst) {
            this.granted = granted;
            this.validNanos = validNanos;
            this.retryAfterNanos = retryAfterNanos;
            this.clients = clients;
            this.ratePerSecond = ratePerSecond;
            this.burst = burst;
        }
    }
}
