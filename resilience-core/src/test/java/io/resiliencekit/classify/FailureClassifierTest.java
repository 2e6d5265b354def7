package io.resiliencekit.classify;

import io.resiliencekit.FailureKind;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class FailureClassifierTest {

    private final FailureClassifier defaults = FailureClassifier.defaults();

    private FailureKind kind(Throwable t) {
        return defaults.classify(t, 0).kind();
    }

    @Test
    void networkFailuresAreTransient() {
        assertThat(kind(new SocketTimeoutException("read timed out"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new HttpTimeoutException("request timed out"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new ConnectException("refused"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new IOException("Connection reset"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new CompletionException(new ConnectException("refused")))).isEqualTo(FailureKind.TRANSIENT);
    }

    @Test
    void validationFailuresArePermanent() {
        assertThat(kind(new IllegalArgumentException("bad"))).isEqualTo(FailureKind.PERMANENT);
        assertThat(kind(new NumberFormatException("x"))).isEqualTo(FailureKind.PERMANENT);
        assertThat(kind(new PermanentFailureException("poison"))).isEqualTo(FailureKind.PERMANENT);
        assertThat(kind(new HttpStatusException(422, null, "POST /x"))).isEqualTo(FailureKind.PERMANENT);
    }

    @Test
    void sqlStatesDecide() {
        assertThat(kind(new SQLTransientConnectionException("gone"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new SQLException("serialization", "40001"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new SQLException("connection", "08006"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(kind(new SQLException("duplicate key", "23505"))).isEqualTo(FailureKind.PERMANENT);
        assertThat(kind(new SQLException("syntax", "42601"))).isEqualTo(FailureKind.PERMANENT);
    }

    @Test
    void userRulesComeFirstAndUnknownFailuresTakeTheDefault() {
        FailureClassifier c = FailureClassifier.builder()
            .permanentOn(IllegalStateException.class)
            .transientOn(IllegalArgumentException.class)
            .defaultKind(FailureKind.PERMANENT)
            .build();
        assertThat(c.classify(new IllegalStateException(), 0).kind()).isEqualTo(FailureKind.PERMANENT);
        assertThat(c.classify(new IllegalArgumentException(), 0).kind()).isEqualTo(FailureKind.TRANSIENT);
        assertThat(c.classify(new RuntimeException(), 0).kind()).isEqualTo(FailureKind.PERMANENT);
        assertThat(defaults.classify(new RuntimeException(), 0).kind()).isEqualTo(FailureKind.TRANSIENT);
    }

    @Test
    void resultPredicatesMakeResultsFailures() {
        FailureClassifier c = FailureClassifier.builder().failureIfResult((Integer status) -> status >= 500).build();
        assertThat(c.isFailureResult(503)).isTrue();
        assertThat(c.isFailureResult(200)).isFalse();
        assertThat(defaults.ignoresResults()).isTrue();
    }

    @Test
    void survivesSerializationWithItsRules() throws Exception {
        FailureClassifier c = FailureClassifier.builder().permanentOn(IllegalStateException.class).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
            out.writeObject(defaults);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            FailureClassifier copy = (FailureClassifier) in.readObject();
            assertThat(copy.classify(new IllegalStateException(), 0).kind()).isEqualTo(FailureKind.PERMANENT);
            assertThat(in.readObject()).isSameAs(FailureClassifier.defaults());
        }
    }
}
