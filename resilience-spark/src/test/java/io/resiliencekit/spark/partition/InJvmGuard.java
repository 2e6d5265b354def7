package io.resiliencekit.spark.partition;

import io.resiliencekit.CallContext;
import io.resiliencekit.CheckedSupplier;
import io.resiliencekit.spi.IdempotencyGuard;
import io.resiliencekit.spi.IdempotencyGuardFactory;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Test-only guard for local mode (one JVM): claim a key, skip it when completed, wait while another
 * attempt holds it, release it when the action fails. Stands in for the idempotency branch's store.
 */
final class InJvmGuard implements IdempotencyGuard {

    static final ConcurrentMap<String, String> STATE = new ConcurrentHashMap<>();

    static IdempotencyGuardFactory factory() {
        return (IdempotencyGuardFactory) (ctx, events) -> new InJvmGuard();
    }

    @Override
    public Claim open(String policyName, CallContext context) {
        String key = context.idempotencyKey();
        return new Claim() {
            @Override
            public long tryClaim() {
                String prev = STATE.putIfAbsent(key, "IN_PROGRESS");
                if (prev == null) {
                    return CLAIMED;
                }
                return prev.equals("COMPLETED") ? DONE : 5_000_000L;   // a twin holds the key: wait for its outcome
            }

            @Override
            public Object replay() {
                return null;
            }

            @Override
            public long fencingToken() {
                return 1L;
            }

            @Override
            public void checkHeld() {
                // one JVM: nobody takes a hold over
            }

            @Override
            public boolean complete(Object value) {
                STATE.put(key, "COMPLETED");
                return true;
            }

            @Override
            public void fail(Throwable failure) {
                STATE.remove(key);
            }
        };
    }

    @Override
    public <T> T execute(String policyName, CallContext context, CheckedSupplier<T> action) throws Exception {
        String key = context.idempotencyKey();
        while (true) {
            String prev = STATE.putIfAbsent(key, "IN_PROGRESS");
            if (prev == null) {
                break;
            }
            if (prev.equals("COMPLETED")) {
                return null;
            }
            Thread.sleep(5);   // a twin holds the key: wait for its outcome
        }
        try {
            T result = action.get();
            STATE.put(key, "COMPLETED");
            return result;
        } catch (Exception | Error e) {
            STATE.remove(key);
            throw e;
        }
    }
}
