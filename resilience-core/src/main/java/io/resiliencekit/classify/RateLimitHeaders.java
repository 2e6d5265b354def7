package io.resiliencekit.classify;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads how long a throttled caller should wait from the rate-limit headers APIs send besides (or
 * instead of) {@code Retry-After}:
 * <ul>
 *   <li>the IETF fields (draft-ietf-httpapi-ratelimit-headers): {@code RateLimit: "default";r=0;t=5}
 *       (remaining {@code r}, seconds to reset {@code t}) next to {@code RateLimit-Policy:
 *       "default";q=100;w=60}, and the earlier drafts' {@code RateLimit: limit=100, remaining=0, reset=5}
 *       and {@code RateLimit-Remaining} / {@code RateLimit-Reset};</li>
 *   <li>the common {@code X-RateLimit-Remaining} / {@code X-RateLimit-Reset}, whose reset is seconds
 *       from now, or an instant in epoch seconds (GitHub) or epoch milliseconds.</li>
 * </ul>
 * The hint is the time until the exhausted quota resets: the longest {@code t} among policies with
 * nothing remaining. {@code RateLimit-Policy} says how big a quota is and over what window; it is
 * not a rate (100 per 60 s allows all 100 at once), so it sets no hint.
 *
 * <pre>{@code
 * Map<String, String> h = RateLimitHeaders.pick(name -> response.headers().firstValue(name));
 * Optional<Duration> wait = RateLimitHeaders.resetHint(h, System.currentTimeMillis());   // e.g. PT5S
 * }</pre>
 */
public final class RateLimitHeaders {

    /** The header names read here, in the order they are looked up. */
    public static final List<String> NAMES = List.of("RateLimit", "RateLimit-Policy", "RateLimit-Remaining",
        "RateLimit-Reset", "RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Limit");

    private static final long EPOCH_SECONDS_FROM = 1_000_000_000L;  // 2001: smaller numbers are delays
    private static final long EPOCH_MILLIS_FROM = 100_000_000_000L; // 1973 in milliseconds, 5138 in seconds
    private static final long MAX_HINT_SECONDS = 366L * 24 * 3600;

    private RateLimitHeaders() {
    }

    /** The rate-limit headers among a response's (none of them carries credentials), in {@link #NAMES} order. */
    public static Map<String, String> pick(Function<String, Optional<String>> header) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String n : NAMES) {
            header.apply(n).ifPresent(v -> out.put(n, v));
        }
        return out.isEmpty() ? Map.of() : Collections.unmodifiableMap(out);
    }

    /**
     * How long until the exhausted quota resets, if the headers say; empty when they say nothing
     * usable (no header, something left, malformed values).
     *
     * @param headers names matched case-insensitively
     */
    public static Optional<Duration> resetHint(Map<String, String> headers, long nowEpochMillis) {
        if (headers == null || headers.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> h = new LinkedHashMap<>();
        headers.forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v));
        String field = h.get("ratelimit");
        if (field != null) {
            Optional<Duration> d = ietf(field);
            if (d.isPresent()) {
                return d;
            }
        }
        Optional<Duration> d = remainingAndReset(h.get("ratelimit-remaining"), h.get("ratelimit-reset"), nowEpochMillis);
        if (d.isPresent()) {
            return d;
        }
        return remainingAndReset(h.get("x-ratelimit-remaining"), h.get("x-ratelimit-reset"), nowEpochMillis);
    }

    /** {@code "p";r=0;t=5, "q";r=3;t=1} (current drafts) or {@code limit=100, remaining=0, reset=5} (earlier ones). */
    private static Optional<Duration> ietf(String field) {
        long longest = -1;
        String[] members = field.split(",");
        Long remaining = null;
        Long reset = null;
        boolean dictionary = false;
        for (String member : members) {
            Long r = null;
            Long t = null;
            for (String part : member.split(";")) {
                String p = part.trim();
                int eq = p.indexOf('=');
                if (eq < 0) {
                    continue; // the policy's name
                }
                String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                Long value = number(p.substring(eq + 1));
                switch (key) {
                    case "r":
                        r = value;
                        break;
                    case "t":
                        t = value;
                        break;
                    case "remaining":
                        remaining = value;
                        dictionary = true;
                        break;
                    case "reset":
                        reset = value;
                        dictionary = true;
                        break;
                    default:
                        break;
                }
            }
            if (r != null && r == 0 && t != null) {
                longest = Math.max(longest, t);
            }
        }
        if (dictionary && remaining != null && remaining == 0 && reset != null) {
            longest = Math.max(longest, reset);
        }
        return longest < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.min(longest, MAX_HINT_SECONDS)));
    }

    private static Optional<Duration> remainingAndReset(String remaining, String reset, long nowEpochMillis) {
        if (reset == null) {
            return Optional.empty();
        }
        Long left = remaining == null ? null : number(remaining);
        if (left != null && left > 0) {
            return Optional.empty(); // quota left: this answer is about something else
        }
        Long v = number(reset);
        if (v == null) {
            return Optional.empty();
        }
        long millis;
        if (v >= EPOCH_MILLIS_FROM) {
            millis = v - nowEpochMillis;
        } else if (v >= EPOCH_SECONDS_FROM) {
            millis = v * 1000 - nowEpochMillis;
        } else {
            millis = Math.min(v, MAX_HINT_SECONDS) * 1000;
        }
        return Optional.of(Duration.ofMillis(Math.max(0, Math.min(millis, MAX_HINT_SECONDS * 1000))));
    }

    private static Long number(String text) {
        String t = text.trim();
        int dot = t.indexOf('.');
        if (dot >= 0) {
            t = t.substring(0, dot); // "5.0" seconds: whole seconds are enough
        }
        if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(Character::isDigit)) {
            return null;
        }
        return Long.parseLong(t);
    }
}
