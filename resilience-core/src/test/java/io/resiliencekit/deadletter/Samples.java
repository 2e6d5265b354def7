package io.resiliencekit.deadletter;

import io.resiliencekit.CallFailedException;
import io.resiliencekit.FailureKind;
import io.resiliencekit.classify.HttpStatusException;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deterministic dead letters, the same in every JVM (fixed times and stack traces). */
final class Samples {

    static final String API_TOKEN = "tok-7f3a9c-SECRET";

    private Samples() {
    }

    static Map<String, Object> payload(int i) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("orderId", i);
        p.put("amount", new BigDecimal("19.90"));
        p.put("note", "line1\nline2 \"quoted\" \\ tab\t \u0001 caf\u00e9 \u2028 \ud83d\ude00");
        p.put("customer", Map.of("name", "Ada", "password", "hunter2", "cardNumber", "4111111111111111"));
        p.put("tags", List.of("a", 1, 2.5, true));
        p.put("nothing", null);
        return p;
    }

    static Throwable failure(int i) {
        HttpStatusException cause = new HttpStatusException(422, null,
            "POST /orders/" + i + " rejected; Authorization: Bearer " + API_TOKEN + " password=hunter2");
        cause.setStackTrace(frames(20, "Client"));
        CallFailedException e = new CallFailedException("orders", 3, FailureKind.PERMANENT, "permanent", cause);
        e.setStackTrace(frames(5, "Policy"));
        return e;
    }

    static StackTraceElement[] frames(int n, String cls) {
        StackTraceElement[] f = new StackTraceElement[n];
        for (int i = 0; i < n; i++) {
            f[i] = new StackTraceElement("com.example." + cls, "call" + i, cls + ".java", 10 + i);
        }
        return f;
    }

    static DeadLetter letter(int i) {
        return DeadLetter.builder()
            .key("orders:batch-42:" + i)
            .payload(payload(i))
            .failure(failure(i))
            .firstFailure(1_767_225_600_000L + i)
            .lastFailure(1_767_225_601_500L + i)
            .source(SourcePosition.builder().run("batch-42").stage(3).partition(i % 4).attempt(0).offset(1000L + i)
                .file("s3://in/orders-" + i + ".json").build())
            .build();
    }
}
