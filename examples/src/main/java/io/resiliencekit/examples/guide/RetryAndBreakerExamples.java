package io.resiliencekit.examples.guide;

import io.resiliencekit.failsafe.CircuitBreakerPolicy;

import io.resiliencekit.policy.ResilienceRuntime;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;
import io.resiliencekit.CallContext;
import io.resiliencekit.CircuitOpenException;
import io.resiliencekit.ResilienceException;
import io.resiliencekit.policy.ResiliencePolicy;
import io.resiliencekit.policy.ResiliencePolicyConfig;
import io.resiliencekit.breaker.CircuitBreaker;
import io.resiliencekit.breaker.CircuitBreakerConfig;
import io.resiliencekit.CircuitState;
import io.resiliencekit.classify.Classification;
import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.classify.RetryAfter;
import io.resiliencekit.FailureKind;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.event.EventType;
import io.resiliencekit.retry.Jitter;
import io.resiliencekit.retry.RetryConfig;
import io.resiliencekit.time.Ticker;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The code behind docs/guide-retry-and-circuit-breaker.md. Each {@code tag::} region is quoted in
 * the guide verbatim (GuideSnippetsTest checks it), so the guide's examples compile with the build,
 * and RetryAndBreakerExamplesTest runs them against a real flaky HTTP server.
 */
public final class RetryAndBreakerExamples {

    private static final Logger log = LoggerFactory.getLogger(RetryAndBreakerExamples.class);

    private RetryAndBreakerExamples() {
    }

    /** Thrown by the example's business code for an order that can never be accepted. */
    public static final class InvalidOrderException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public InvalidOrderException(String message) {
            super(message);
        }
    }

    public static String basic(URI api, String orderJson) {
        // tag::basic[]
        HttpJsonClient http = HttpJsonClient.builder()
            .baseUri(api)
            .requestTimeout(Duration.ofSeconds(5))
            .build();

        ResiliencePolicy policy = ResiliencePolicy.builder("orders-api")
            .retry(RetryConfig.builder()                                   // each value below is the default
                .maxAttempts(3)                                            // first try + 2 retries
                .backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(10))
                .jitter(Jitter.FULL)                                       // U(0, min(cap, base * 2^n))
                .maxDuration(Duration.ofMinutes(1))                        // no retry starts after 1 min (default: none)
                .build())
            .circuitBreaker(CircuitBreakerConfig.builder("orders-api")     // each value below is the default
                .countWindow(50)                                           // the last 50 calls
                .minimumCalls(20)
                .failureRateThreshold(0.5)                                 // open at 50% failures
                .openDuration(Duration.ofSeconds(1))                       // then 2 s, 4 s... up to 30 s
                .permittedCallsInHalfOpen(5)
                .build())
            .build();

        String receipt = policy.call(() -> http.post("/records", orderJson));
        // end::basic[]
        return receipt;
    }

    public static ResiliencePolicy fromOptions() {
        // tag::options[]
        Map<String, String> options = Map.of(                             // the defaults, but where said
            "name", "orders-api",
            "retry.maxAttempts", "5",                  // default 3: this API restarts now and then, for about a second
            "retry.baseDelay", "100ms",
            "retry.maxDelay", "10s",
            "retry.jitter", "decorrelated",            // default full: decorrelated grows with what was waited
            "retry.budget.ratio", "0.2",
            "breaker.failureRateThreshold", "0.5",
            "breaker.openDuration", "1s");
        ResiliencePolicyConfig config = ResiliencePolicyConfig.fromOptions(options); // every error at once
        ResiliencePolicy policy = ResilienceRuntime.shared().policy(config);         // one policy per name per JVM
        // end::options[]
        return policy;
    }

    public static FailureClassifier classifier() {
        // tag::classifier[]
        FailureClassifier classifier = FailureClassifier.builder()
            .permanentOn(InvalidOrderException.class)                     // never retried
            .when(e -> e.getMessage() != null && e.getMessage().contains("try later"), FailureKind.TRANSIENT)
            // this API sends 503 + Retry-After only to shed load: throttling (a 503 is transient by default)
            .rule((e, now) -> e instanceof HttpStatusException h && h.status() == 503 && h.retryAfter() != null
                ? Classification.throttled(RetryAfter.parse(h.retryAfter(), now).orElse(null)) : null)
            .failureIfResult((String body) -> body.contains("\"status\":\"queued-for-retry\""))
            .build();
        ResiliencePolicy policy = ResiliencePolicy.builder("orders-api").classifier(classifier).build();
        // end::classifier[]
        return policy.config().classifier();
    }

    public static List<String> events(ResiliencePolicy policy, HttpJsonClient http) {
        List<String> seen = new CopyOnWriteArrayList<>();
        // tag::events[]
        policy.events().register(event -> {
            if (event.type() == EventType.BREAKER_TRANSITION) {
                log.warn("breaker {} went {}", event.policyName(), event.detail()); // "CLOSED->OPEN"
            }
            seen.add(event.type() + " " + event.detail());
        });
        try {
            policy.call(() -> http.post("/records", "{\"id\":\"o-1\"}"));
        } catch (CircuitOpenException e) {
            log.info("not called: {} is open for about {}", e.breakerName(), e.retryAfter());
        } catch (ResilienceException e) {
            log.info("gave up after {} attempts", e.attempts()); // the cause is the last failure
        }
        Map<String, Long> counters = policy.metrics().snapshot(); // calls, retries, breakerRejections...
        // end::events[]
        seen.add("calls=" + counters.get("calls"));
        return seen;
    }

    public static CircuitState manualBreaker() {
        // tag::manual[]
        CircuitBreaker breaker = CircuitBreaker.of(CircuitBreakerConfig.builder("warehouse-db").build(), Ticker.system());
        breaker.forceOpen();            // maintenance window: refuse every call until closed by hand
        boolean permitted = breaker.tryAcquirePermission();   // false
        breaker.transitionToClosed();
        // end::manual[]
        return permitted ? CircuitState.CLOSED : breaker.state();
    }

    public static String withFailsafe(URI api) throws Exception {
        HttpJsonClient http = HttpJsonClient.builder().baseUri(api).build();
        // tag::failsafe[]
        CircuitBreaker breaker = CircuitBreaker.of(CircuitBreakerConfig.builder("orders-api").build(), Ticker.system());
        RetryPolicy<String> retry = RetryPolicy.<String>builder()
            .abortOn(CircuitOpenException.class)       // do not retry into an open breaker
            .withMaxAttempts(3)
            .build();
        String body = Failsafe.with(retry, CircuitBreakerPolicy.<String>of(breaker))
            .get(() -> http.post("/records", "{\"id\":\"o-2\"}"));
        // end::failsafe[]
        return body;
    }

    public static String async(ResiliencePolicy policy, HttpJsonClient http) throws Exception {
        // tag::async[]
        CompletableFuture<String> reply = policy.callAsync(() -> http.post("/records", "{\"id\":\"o-3\"}"));
        CompletableFuture<String> keyed = policy.callAsync(
            CallContext.builder().attribute("orderId", "o-4").build(),   // MDC while it runs
            () -> http.post("/records", "{\"id\":\"o-4\"}"),
            Runnable::run);
        // end::async[]
        return reply.get() + keyed.get();
    }
}
