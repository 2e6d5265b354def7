package io.resiliencekit;

import io.resiliencekit.metrics.EventPublisher;
import io.resiliencekit.metrics.PolicyMetrics;

/** Work in progress: the composed policy. */
public final class ResiliencePolicy {

    private final String name;
    private final PolicyMetrics metrics = new PolicyMetrics();
    private final EventPublisher events = new EventPublisher();

    ResiliencePolicy(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public <T> T call(CheckedSupplier<T> action) {
        return call(CallContext.NONE, action);
    }

    public <T> T call(CallContext context, CheckedSupplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CallFailedException(name, 1, io.resiliencekit.classify.FailureKind.TRANSIENT, "wip", e);
        }
    }

    public void run(CheckedRunnable action) {
        call(() -> {
            action.run();
            return null;
        });
    }

    public PolicyMetrics metrics() {
        return metrics;
    }

    public EventPublisher events() {
        return events;
    }
}
