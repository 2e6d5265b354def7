package io.resiliencekit.classify;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;

/**
 * Parses an HTTP {@code Retry-After} value (RFC 9110 section 10.2.3): either a number of seconds
 * or an HTTP date, which is turned into a delay against the caller's clock.
 *
 * <pre>{@code
 * RetryAfter.parse("2", now);                              // PT2S
 * RetryAfter.parse("Wed, 21 Oct 2026 07:28:00 GMT", now);  // the time until then, at least zero
 * }</pre>
 */
public final class RetryAfter {

    // RFC 9110 requires recipients to accept the two obsolete formats too.
    private static final DateTimeFormatter RFC_850 =
        DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US);
    private static final DateTimeFormatter ASCTIME =
        DateTimeFormatter.ofPattern("EEE MMM [ d][dd] HH:mm:ss yyyy", Locale.US).withZone(java.time.ZoneOffset.UTC);

    private RetryAfter() {
    }

    /**
     * @param value the header value, may be null
     * @param nowEpochMillis the current wall-clock time, from the policy's ticker
     * @return the delay asked for, never negative; empty if the value is missing or malformed
     */
    public static Optional<Duration> parse(String value, long nowEpochMillis) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim();
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
            } catch (NumberFormatException | ArithmeticException e) {
                return Optional.empty(); // absurdly large: ignore rather than wait forever
            }
        }
        for (DateTimeFormatter f : new DateTimeFormatter[] {DateTimeFormatter.RFC_1123_DATE_TIME, RFC_850, ASCTIME}) {
            try {
                long at = ZonedDateTime.parse(v, f).toInstant().toEpochMilli();
                return Optional.of(Duration.ofMillis(Math.max(0, at - nowEpochMillis)));
            } catch (DateTimeParseException ignored) {
                // try the next format
            }
        }
        return Optional.empty();
    }
}
