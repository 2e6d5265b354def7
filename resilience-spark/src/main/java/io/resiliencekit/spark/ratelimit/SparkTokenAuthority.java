package io.resiliencekit.spark.ratelimit;

import java.util.Objects;

import io.resiliencekit.spi.LeaseRequest;
import io.resiliencekit.spi.LeaseResponse;
import io.resiliencekit.spi.TokenAuthority;
import io.resiliencekit.spi.TokenAuthorityException;
import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import io.resiliencekit.spark.cluster.ClusterCoordinator;

/**
 * The executor's view of the driver's {@link DriverTokenAuthority}: each lease request is one
 * {@link ClusterCoordinator#ask} over Spark's RPC. {@link io.resiliencekit.ratelimit.LeasedTokenBucket}
 * calls it from its background thread, never on the hot path; when the driver cannot be reached
 * the failure becomes a {@link TokenAuthorityException} and the bucket falls back to its safe rate.
 *
 * <pre>{@code
 * LeasedTokenBucket b = TokenBucket.builder("api").rate(100).buildLeased(new SparkTokenAuthority(coordinator));
 * }</pre>
 */
public final class SparkTokenAuthority implements TokenAuthority {

    private final ClusterCoordinator coordinator;

    public SparkTokenAuthority(ClusterCoordinator coordinator) {
        this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    }

    @Override
    public LeaseResponse requestLease(LeaseRequest request) {
        try {
            return coordinator.ask(DriverTokenAuthority.LEASE, request);
        } catch (ClusterCoordinationException e) {
            throw new TokenAuthorityException("Spark driver token authority: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SparkTokenAuthority[executor " + coordinator.executorId() + "]";
    }
}
