package io.resiliencekit.spark.sink.internal;

import io.resiliencekit.classify.HttpStatusException;
import io.resiliencekit.config.Secrets;
import io.resiliencekit.http.HttpJsonClient;
import io.resiliencekit.http.HttpJsonClientConfig;
import io.resiliencekit.spark.sink.RecordSink;
import io.resiliencekit.spark.sink.SinkContext;
import io.resiliencekit.spark.sink.SinkRecord;
import io.resiliencekit.spark.sink.SinkUnavailableException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.util.List;

/**
 * The built-in {@code http} sink: one JSON POST per row with its {@code Idempotency-Key}. Thread-safe
 * (its fields are set before the task's first call and {@link HttpJsonClient} is), so one instance
 * serves every call in flight of a task.
 */
final class HttpRecordSink implements RecordSink {

    private final HttpJsonClientConfig config;
    private final String path;
    private final String healthPath;
    private final int bodyColumn;
    private HttpJsonClient client;

    HttpRecordSink(SinkSettings settings) {
        this.config = settings.http();
        this.path = settings.sink().httpPath();
        this.healthPath = settings.sink().httpHealthPath();
        this.bodyColumn = settings.codec().bodyColumn();
    }

    @Override
    public void open(SinkContext context) {
        client = HttpJsonClient.create(config);   // the JVM's shared JDK client: pooled connections
    }

    @Override
    public void healthCheck() throws Exception {
        String target = "GET " + Secrets.redactUrl(client.uri(healthPath).toString());
        try {
            client.get(healthPath);
        } catch (HttpStatusException e) {
            int s = e.status();
            if (s == 401 || s == 403) {
                throw new SinkUnavailableException("http sink health check: " + target + " answered " + s
                    + " (authentication refused): check the credentials in http.header.* options");
            }
            if (s >= 500) {
                throw new SinkUnavailableException("http sink health check: " + target + " answered " + s
                    + " (the service is unhealthy); no task was started");
            }
            // any other answer (404, 405...) proves the service is reachable and let us in
        } catch (ConnectException | HttpTimeoutException e) {
            throw new SinkUnavailableException("http sink health check: cannot reach " + target + " ("
                + e.getClass().getSimpleName() + " within http.connectTimeout " + config.connectTimeout()
                + "); no task was started");
        } catch (IOException e) {
            throw new SinkUnavailableException("http sink health check: " + target + " failed: "
                + Secrets.scrub(String.valueOf(e.getMessage())) + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public boolean threadSafe() {
        return true;
    }

    @Override
    public void write(List<SinkRecord> records) throws Exception {
        for (SinkRecord r : records) {
            String body = bodyColumn >= 0 ? (String) r.value(bodyColumn) : r.json();
            if (body == null) {
                throw new IllegalArgumentException("http.bodyColumn is null in this row");
            }
            client.post(path, body, r.key());
        }
    }
}
