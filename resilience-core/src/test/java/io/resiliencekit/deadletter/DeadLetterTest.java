package io.resiliencekit.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.resiliencekit.classify.FailureClassifier;
import io.resiliencekit.config.Secrets;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeadLetterTest {

    @Test
    void carriesEveryFieldOfTheDesign() {
        DeadLetter l = Samples.letter(7);
        assertThat(l.key()).isEqualTo("orders:batch-42:7");
        assertThat(l.payload()).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) l.payload()).get("orderId")).isEqualTo(7L);
        assertThat(l.errorClass()).as("the last failure, not the wrapper").isEqualTo("io.resiliencekit.classify.HttpStatusException");
        assertThat(l.message()).startsWith("HTTP 422 from POST /orders/7");
        assertThat(l.classification()).isEqualTo("PERMANENT");
        assertThat(l.attempts()).isEqualTo(3);
        assertThat(l.firstFailureEpochMillis()).isEqualTo(1_767_225_600_007L);
        assertThat(l.lastFailureEpochMillis()).isEqualTo(1_767_225_601_507L);
        assertThat(l.source().run()).isEqualTo("batch-42");
        assertThat(l.source().stage()).isEqualTo(3);
        assertThat(l.source().partition()).isEqualTo(3);
        assertThat(l.source().attempt()).isZero();
        assertThat(l.source().offset()).isEqualTo(1007L);
        assertThat(l.source().file()).isEqualTo("s3://in/orders-7.json");
        assertThat(l.checksum()).hasSize(64);
        assertThat(l.verifyChecksum()).isTrue();
        // trimmed: the wrapper's 5 frames, then the cause with 12 of its 20 frames
        assertThat(l.stackTrace()).startsWith("io.resiliencekit.CallFailedException: policy 'orders' gave up after 3 attempts")
            .contains("Caused by: io.resiliencekit.classify.HttpStatusException: HTTP 422")
            .contains("\tat com.example.Client.call11(Client.java:21)\n\t... 8 more\n")
            .doesNotContain("call12");
        assertThat(l.toString()).doesNotContain("hunter2").doesNotContain(Samples.API_TOKEN);
    }

    @Test
    void jsonRoundTripIsExactIncludingAwkwardCharactersAndNumbers() {
        DeadLetter l = Samples.letter(3);
        String json = l.toJson();
        assertThat(json).doesNotContain("\n").contains("\\n").contains("\\u0001").contains("\\u2028");
        DeadLetter back = DeadLetter.fromJson(json);
        assertThat(back).isEqualTo(l);
        assertThat(back.verifyChecksum()).isTrue();
        assertThat(back.payload()).isEqualTo(l.payload());
        assertThat(((Map<?, ?>) back.payload()).get("note")).isEqualTo(Samples.payload(3).get("note"));
        assertThat(((Map<?, ?>) back.payload()).get("tags")).isEqualTo(List.of("a", 1L, 2.5, true));
    }

    @Test
    void checksumDetectsEdits() {
        String json = Samples.letter(1).toJson().replace("\"attempts\":3", "\"attempts\":1");
        DeadLetter edited = DeadLetter.fromJson(json);
        assertThat(edited.attempts()).isEqualTo(1);
        assertThat(edited.verifyChecksum()).isFalse();
        assertThatThrownBy(() -> DeadLetter.fromJson("{\"version\":1,\"key\":")).hasMessageContaining("bad JSON");
        assertThatThrownBy(() -> DeadLetter.fromJson("[1]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> DeadLetter.fromJson("{\"version\":1}")).hasMessageContaining("missing or mistyped");
    }

    @Test
    void classifiesPlainFailuresWhenAsked() {
        DeadLetter l = DeadLetter.builder().payload("raw line").failure(new IOException("connection reset"),
            FailureClassifier.defaults(), 0L).failedAt(5L).build();
        assertThat(l.classification()).isEqualTo("TRANSIENT");
        assertThat(l.attempts()).isEqualTo(1);
        assertThat(l.firstFailureEpochMillis()).isEqualTo(5L).isEqualTo(l.lastFailureEpochMillis());
        assertThat(l.key()).isNull();
        assertThat(l.source()).isEqualTo(SourcePosition.UNKNOWN);
        assertThat(DeadLetter.fromJson(l.toJson())).isEqualTo(l);
    }

    @Test
    void rejectsIncompleteLettersAndUnsupportedPayloads() {
        assertThatThrownBy(() -> DeadLetter.builder().errorClass("X").build()).hasMessageContaining("failedAt");
        assertThatThrownBy(() -> DeadLetter.builder().failedAt(1).build()).hasMessageContaining("failure(throwable)");
        assertThatThrownBy(() -> DeadLetter.builder().errorClass("X").failedAt(1).payload(new Object()).build())
            .hasMessageContaining("java.lang.Object");
        assertThatThrownBy(() -> DeadLetter.builder().errorClass("X").firstFailure(5).lastFailure(4).build())
            .hasMessageContaining("before the first");
    }

    @Test
    void redactionMasksSecretFieldsPairsAndConfiguredValues() {
        Redactor r = Redactor.builder().maskFields("cardNumber").scrubValues(List.of(Samples.API_TOKEN)).build();
        DeadLetter red = r.redact(Samples.letter(2));
        Map<?, ?> customer = (Map<?, ?>) ((Map<?, ?>) red.payload()).get("customer");
        assertThat(customer.get("password")).isEqualTo(Secrets.MASK);
        assertThat(customer.get("cardNumber")).isEqualTo(Secrets.MASK);
        assertThat(customer.get("name")).isEqualTo("Ada");
        String all = red.toJson();
        assertThat(all).doesNotContain("hunter2").doesNotContain(Samples.API_TOKEN).doesNotContain("4111111111111111");
        assertThat(red.message()).contains("Authorization: ****").contains("password=****");
        assertThat(red.stackTrace()).contains("password=****").doesNotContain("hunter2");
        assertThat(red.verifyChecksum()).isTrue();
        assertThat(red.checksum()).isNotEqualTo(Samples.letter(2).checksum());
        // the default redactor masks secret-named fields and pairs, but not unnamed values
        DeadLetter def = Redactor.defaults().redact(Samples.letter(2));
        assertThat(def.toJson()).doesNotContain("hunter2").doesNotContain(Samples.API_TOKEN).contains("4111111111111111");
        assertThat(Redactor.none().redact(Samples.letter(2))).isEqualTo(Samples.letter(2));
    }
}
