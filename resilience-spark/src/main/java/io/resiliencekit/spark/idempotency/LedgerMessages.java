package io.resiliencekit.spark.idempotency;

import java.io.Serializable;

import io.resiliencekit.spi.ClaimResult;
import io.resiliencekit.spark.cluster.ServiceKey;

/** Wire messages between executors' {@link ClusterLedgerStore}s and the driver's {@link DriverLedger}. */
public final class LedgerMessages {

    private LedgerMessages() {
    }

    public static final ServiceKey<Claim, ClaimReply> CLAIM = ServiceKey.of("resiliencekit.ledger.claim", Claim.class, ClaimReply.class);
    public static final ServiceKey<Finish, Boolean> FINISH = ServiceKey.of("resiliencekit.ledger.finish", Finish.class, Boolean.class);
    public static final ServiceKey<Renew, Boolean> RENEW = ServiceKey.of("resiliencekit.ledger.renew", Renew.class, Boolean.class);
    public static final ServiceKey<Purge, Integer> PURGE = ServiceKey.of("resiliencekit.ledger.purge", Purge.class, Integer.class);

    public static final class Claim implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String key;
        public final String fingerprint;
        public final String holder;
        public final long holdMillis;

        public Claim(String key, String fingerprint, String holder, long holdMillis) {
            this.key = key;
            this.fingerprint = fingerprint;
            this.holder = holder;
            this.holdMillis = holdMillis;
        }
    }

    /** {@link ClaimResult} in a serializable form; a hold's remaining time is measured by the driver's clock. */
    public static final class ClaimReply implements Serializable {
        private static final long serialVersionUID = 2L;
        public final ClaimResult.Status status;
        public final long fencingToken;
        public final String holder;
        public final long expiresAtEpochMillis;
        public final long holdRemainingMillis;
        public final byte[] outcome;
        public final String storedFingerprint;

        public ClaimReply(ClaimResult r) {
            this.status = r.status();
            this.fencingToken = r.fencingToken();
            this.holder = r.holder();
            this.expiresAtEpochMillis = r.expiresAtEpochMillis();
            this.holdRemainingMillis = r.holdRemainingMillis();
            this.outcome = r.outcome();
            this.storedFingerprint = r.storedFingerprint();
        }

        public ClaimResult toResult() {
            switch (status) {
                case NEW:
                    return ClaimResult.claimed(fencingToken);
                case IN_PROGRESS:
                    return ClaimResult.inProgress(holder, expiresAtEpochMillis, holdRemainingMillis);
                case COMPLETED:
                    return ClaimResult.completed(outcome);
                case MISMATCH:
                    return ClaimResult.mismatch(storedFingerprint);
                default:
                    throw new IllegalStateException("unknown claim status " + status);
            }
        }
    }

    /** Complete (with {@code outcome}) or release ({@code complete == false}) the hold of {@code fencingToken}. */
    public static final class Finish implements Serializable {
        private static final long serialVersionUID = 2L;
        public final String key;
        public final long fencingToken;
        public final boolean complete;
        public final byte[] outcome;

        public Finish(String key, long fencingToken, boolean complete, byte[] outcome) {
            this.key = key;
            this.fencingToken = fencingToken;
            this.complete = complete;
            this.outcome = outcome;
        }
    }

    /** Extend the hold of {@code fencingToken} by {@code holdMillis} from now (the driver's now). */
    public static final class Renew implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String key;
        public final long fencingToken;
        public final long holdMillis;

        public Renew(String key, long fencingToken, long holdMillis) {
            this.key = key;
            this.fencingToken = fencingToken;
            this.holdMillis = holdMillis;
        }
    }

    public static final class Purge implements Serializable {
        private static final long serialVersionUID = 1L;
    }
}
