package io.resiliencekit.spark.breaker;

import java.io.Serializable;
import java.util.List;

import io.resiliencekit.CircuitState;
import io.resiliencekit.spark.cluster.ServiceKey;

/** Wire messages of the driver-hosted breaker board (see {@link DriverBreakerBoard}). */
public final class BoardMessages {

    private BoardMessages() {
    }

    public static final ServiceKey<Publish, Verdict> PUBLISH = ServiceKey.of("resiliencekit.breaker.publish", Publish.class, Verdict.class);
    public static final ServiceKey<Poll, PollReply> POLL = ServiceKey.of("resiliencekit.breaker.poll", Poll.class, PollReply.class);
    public static final ServiceKey<TrialRequest, TrialGrant> TRIAL = ServiceKey.of("resiliencekit.breaker.trial", TrialRequest.class, TrialGrant.class);

    /** A breaker in some JVM decided a transition. */
    public static final class Publish implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String breaker;
        public final CircuitState state;
        public final long untilEpochMillis;

        public Publish(String breaker, CircuitState state, long untilEpochMillis) {
            this.breaker = breaker;
            this.state = state;
            this.untilEpochMillis = untilEpochMillis;
        }
    }

    /** "What changed after board version {@code sinceVersion}?" */
    public static final class Poll implements Serializable {
        private static final long serialVersionUID = 1L;
        public final long sinceVersion;

        public Poll(long sinceVersion) {
            this.sinceVersion = sinceVersion;
        }
    }

    public static final class PollReply implements Serializable {
        private static final long serialVersionUID = 1L;
        public final long version;
        public final List<Verdict> changed;

        public PollReply(long version, List<Verdict> changed) {
            this.version = version;
            this.changed = List.copyOf(changed);
        }
    }

    /** A half-open breaker asks for up to {@code wanted} trial calls. */
    public static final class TrialRequest implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String breaker;
        public final int wanted;

        public TrialRequest(String breaker, int wanted) {
            this.breaker = breaker;
            this.wanted = wanted;
        }
    }

    public static final class TrialGrant implements Serializable {
        private static final long serialVersionUID = 1L;
        public final int granted;
        public final Verdict current;

        public TrialGrant(int granted, Verdict current) {
            this.granted = granted;
            this.current = current;
        }
    }

    /**
     * The board's verdict for one breaker: its state, how long an open state still lasts (computed on
     * the driver's clock when sent), the board version of the change and the executor that decided it.
     */
    public static final class Verdict implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String breaker;
        public final CircuitState state;
        public final long remainingMillis;
        public final long version;
        public final String origin;

        public Verdict(String breaker, CircuitState state, long remainingMillis, long version, String origin) {
            this.breaker = breaker;
            this.state = state;
            this.remainingMillis = remainingMillis;
            this.version = version;
            this.origin = origin;
        }

        @Override
        public String toString() {
            return breaker + "=" + state + (state == CircuitState.OPEN ? "(" + remainingMillis + "ms)" : "")
                    + " v" + version + " by " + origin;
        }
    }
}
