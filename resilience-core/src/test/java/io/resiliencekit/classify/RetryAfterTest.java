package io.resiliencekit.classify;

import io.resiliencekit.FailureKind;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final long NOW = Instant.parse("2026-11-21T08:00:00Z").toEpochMilli();

    @Test
    void secondsForm() {
        assertThat(RetryAfter.parse("2", NOW)).contains(Duration.ofSeconds(2));
        assertThat(RetryAfter.parse(" 120 ", NOW)).contains(Duration.ofSeconds(120));
        assertThat(RetryAfter.parse("0", NOW)).contains(Duration.ZERO);
    }

    @Test
    void httpDateFormsAreRelativeToTheCallersClock() {
        assertThat(RetryAfter.parse("Sat, 21 Nov 2026 08:00:03 GMT", NOW)).contains(Duration.ofSeconds(3));
        assertThat(RetryAfter.parse("Saturday, 21-Nov-26 08:00:05 GMT", NOW)).contains(Duration.ofSeconds(5));
        assertThat(RetryAfter.parse("Sat Nov 21 08:00:07 2026", NOW)).contains(Duration.ofSeconds(7));
        String formatted = DateTimeFormatter.RFC_1123_DATE_TIME.format(
            Instant.ofEpochMilli(NOW + 10_000).atZone(ZoneOffset.UTC));
        assertThat(RetryAfter.parse(formatted, NOW)).contains(Duration.ofSeconds(10));
    }

    @Test
    void aDateInThePastMeansNow() {
        assertThat(RetryAfter.parse("Sat, 21 Nov 2026 07:00:00 GMT", NOW)).contains(Duration.ZERO);
    }

    @Test
    void malformedOrMissingIsIgnored() {
        assertThat(RetryAfter.parse(null, NOW)).isEmpty();
        assertThat(RetryAfter.parse("", NOW)).isEmpty();
        assertThat(RetryAfter.parse("soon", NOW)).isEmpty();
        assertThat(RetryAfter.parse("-5", NOW)).isEmpty();
        assertThat(RetryAfter.parse("99999999999999999999999", NOW)).isEmpty();
    }

    @Test
    void httpStatusesAreClassified() {
        assertThat(FailureClassifier.classifyHttp(429, "2", NOW).kind()).isEqualTo(FailureKind.THROTTLED);
        assertThat(FailureClassifier.classifyHttp(429, "2", NOW).retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(FailureClassifier.classifyHttp(503, null, NOW).kind()).isEqualTo(FailureKind.TRANSIENT);
        for (int s : new int[] {408, 500, 502, 504}) {
            assertThat(FailureClassifier.classifyHttp(s, null, NOW).kind()).as("HTTP %d", s).isEqualTo(FailureKind.TRANSIENT);
        }
        for (int s : new int[] {400, 401, 403, 404, 409, 422}) {
            assertThat(FailureClassifier.classifyHttp(s, null, NOW).kind()).as("HTTP %d", s).isEqualTo(FailureKind.PERMANENT);
        }
    }
}
