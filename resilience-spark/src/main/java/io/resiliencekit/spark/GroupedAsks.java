package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.ClusterCoordinationException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Group commit for the executor's requests to the driver: the requests that wait while a group is
 * on its way go together in the next one, at most one group in flight. So the number of RPC
 * messages follows the round trip, not the record rate: at 200 claims a second and a 5 ms round
 * trip, about one message in five. Spark's RPC costs far more per message (a Java-serialized
 * envelope, an address parsed, a dispatcher hop on each side) than per request in it, and on a busy
 * machine the round trip grows, so groups grow with it instead of the messages queueing up.
 *
 * <p>Each request keeps its own answer or error; the driver answers a group's requests in order,
 * and one group is answered before the next is sent, so the requests of this JVM reach the driver
 * in the order they were made. A request whose thread is interrupted while it waits may still be
 * answered by the driver, exactly as a plain ask interrupted after sending.
 */
final class GroupedAsks {

    /** Sends one group and returns one reply per request, in order; throws if the RPC itself failed. */
    @FunctionalInterface
    interface GroupSender {
        RpcMessages.Reply[] send(RpcMessages.Request[] group) throws Exception;
    }

    /** Most requests in one message: a group's message stays small next to Spark's frame limits. */
    static final int MAX_GROUP = 256;

    private record Pending(RpcMessages.Request request, CompletableFuture<RpcMessages.Reply> reply) {
    }

    private final GroupSender sender;
    private final Executor drainer;
    private final ConcurrentLinkedQueue<Pending> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    /** {@code drainer} runs the loop that sends the groups (one task at a time is ever submitted). */
    GroupedAsks(GroupSender sender, Executor drainer) {
        this.sender = sender;
        this.drainer = drainer;
    }

    /** Sends {@code request} with the others waiting now and waits for its reply. */
    RpcMessages.Reply ask(RpcMessages.Request request) {
        Pending p = new Pending(request, new CompletableFuture<>());
        waiting.add(p);
        if (draining.compareAndSet(false, true)) {
            try {
                drainer.execute(this::drain);
            } catch (RejectedExecutionException shutDown) {
                draining.set(false);
                failAll(new ClusterCoordinationException(request.service, "the plugin's executor side has shut down",
                    shutDown));
            }
        }
        try {
            return p.reply.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterCoordinationException(request.service, "interrupted while waiting for the driver", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ClusterCoordinationException) {
                throw (ClusterCoordinationException) cause;   // made for this request by drain()
            }
            throw new ClusterCoordinationException(request.service, "RPC to the driver failed: " + cause, cause);
        }
    }

    private void drain() {
        for (;;) {
            List<Pending> group = new ArrayList<>();
            Pending p;
            while (group.size() < MAX_GROUP && (p = waiting.poll()) != null) {
                group.add(p);
            }
            if (group.isEmpty()) {
                draining.set(false);
                // a request added after the poll and before the flag was cleared found it set: take it
                if (waiting.isEmpty() || !draining.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            RpcMessages.Request[] requests = new RpcMessages.Request[group.size()];
            for (int i = 0; i < requests.length; i++) {
                requests[i] = group.get(i).request;
            }
            RpcMessages.Reply[] replies;
            try {
                replies = sender.send(requests);
                if (replies == null || replies.length != requests.length) {
                    throw new IllegalStateException("the driver answered " + (replies == null ? "nothing"
                        : replies.length + " of " + requests.length + " requests"));
                }
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();   // the plugin is shutting down
                }
                for (Pending each : group) {
                    each.reply.completeExceptionally(new ClusterCoordinationException(each.request.service,
                        "RPC to the driver failed: " + e, e));
                }
                continue;
            } catch (Error e) {
                for (Pending each : group) {
                    each.reply.completeExceptionally(e);
                }
                draining.set(false);
                throw e;
            }
            for (int i = 0; i < replies.length; i++) {
                group.get(i).reply.complete(replies[i]);
            }
        }
    }

    /** Requests waiting for the next group (for tests). */
    int waitingCount() {
        return waiting.size();
    }

    private void failAll(RuntimeException e) {
        Pending p;
        while ((p = waiting.poll()) != null) {
            p.reply.completeExceptionally(e);
        }
    }
}
