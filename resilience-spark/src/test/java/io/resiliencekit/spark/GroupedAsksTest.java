package io.resiliencekit.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupedAsks} with a sender of its own (no Spark): what waits while a group is in flight
 * goes in the next group, each request gets its own reply in order, and a failed RPC fails each of
 * its requests naming that request's service.
 */
class GroupedAsksTest {

    private final ExecutorService callers = Executors.newFixedThreadPool(8);
    private final ExecutorService drainer = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        callers.shutdownNow();
        drainer.shutdownNow();
    }

    private static RpcMessages.Request request(String service, String payload) {
        return new RpcMessages.Request("7", service, payload);
    }

    /** Answers each request with its payload, upper-cased; records the size of every group. */
    private static RpcMessages.Reply[] echo(RpcMessages.Request[] group, List<Integer> sizes) {
        sizes.add(group.length);
        RpcMessages.Reply[] replies = new RpcMessages.Reply[group.length];
        for (int i = 0; i < group.length; i++) {
            replies[i] = RpcMessages.Reply.ok(((String) group[i].payload).toUpperCase());
        }
        return replies;
    }

    @Test
    void theRequestsThatWaitWhileAGroupIsInFlightGoTogetherInTheNext_eachWithItsOwnReply() throws Exception {
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        CountDownLatch firstSent = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        GroupedAsks asks = new GroupedAsks(group -> {
            if (sizes.isEmpty()) {
                firstSent.countDown();
                releaseFirst.await();
            }
            return echo(group, sizes);
        }, drainer);

        CompletableFuture<Object> first = CompletableFuture.supplyAsync(() -> asks.ask(request("claim", "a")).value, callers);
        assertThat(firstSent.await(30, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Object>> next = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String payload = "b" + i;
            String service = i % 2 == 0 ? "claim" : "finish";
            next.add(CompletableFuture.supplyAsync(() -> asks.ask(request(service, payload)).value,
                callers));
        }
        while (asks.waitingCount() < 5) {
            Thread.onSpinWait();   // the five are queued behind the group in flight
        }
        releaseFirst.countDown();

        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("A");
        for (int i = 0; i < 5; i++) {
            assertThat(next.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("B" + i);
        }
        assertThat(sizes).containsExactly(1, 5);
    }

    @Test
    void aFailedRpcFailsEachOfItsRequests_namingThatRequestsService() {
        GroupedAsks asks = new GroupedAsks(group -> {
            throw new IOException("connection to the driver lost");
        }, drainer);
        assertThatThrownBy(() -> asks.ask(request("resiliencekit.ledger.finish", "x")))
            .isInstanceOf(ClusterCoordinationException.class)
            .hasMessageContaining("'resiliencekit.ledger.finish'")
            .hasMessageContaining("connection to the driver lost");
        // the next request starts a new group: a failure does not stop the drainer
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        GroupedAsks working = new GroupedAsks(group -> echo(group, sizes), drainer);
        assertThat(working.ask(request("claim", "c")).value).isEqualTo("C");
    }

    @Test
    void aDriverThatAnswersTooFewRequestsFailsTheGroupInsteadOfMismatchingReplies() {
        GroupedAsks asks = new GroupedAsks(group -> new RpcMessages.Reply[0], drainer);
        assertThatThrownBy(() -> asks.ask(request("claim", "d")))
            .isInstanceOf(ClusterCoordinationException.class)
            .hasMessageContaining("answered 0 of 1 requests");
    }

    @Test
    void aShutDownDrainerFailsTheRequestAtOnce() {
        drainer.shutdownNow();
        GroupedAsks asks = new GroupedAsks(group -> new RpcMessages.Reply[0], drainer);
        assertThatThrownBy(() -> asks.ask(request("claim", "e")))
            .isInstanceOf(ClusterCoordinationException.class)
            .hasMessageContaining("shut down");
    }
}
