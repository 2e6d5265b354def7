package io.resiliencekit.spark;

import io.resiliencekit.spark.cluster.DriverServices;
import io.resiliencekit.spark.cluster.PluginOptions;

import io.resiliencekit.spark.breaker.DriverBreakerBoard;
import io.resiliencekit.spark.idempotency.DriverLedger;
import io.resiliencekit.spark.ratelimit.DriverTokenAuthority;
import io.resiliencekit.spark.retry.DriverRetryBudgets;
import io.resiliencekit.time.Ticker;

/** Installs the plugin's own driver-side services (token authorities, breaker board, ledger, retry budgets). */
final class BuiltInServices {

    private BuiltInServices() {
    }

    static void install(DriverServices services, PluginOptions options) {
        DriverBreakerBoard.install(services, options, Ticker.system());
        DriverTokenAuthority.install(services, options, Ticker.system());
        DriverLedger.install(services, options, Ticker.system());
        DriverRetryBudgets.install(services);
    }

    static void shutdown(DriverServices services) {
        services.component(DriverTokenAuthority.class).ifPresent(DriverTokenAuthority::close);
        services.component(DriverLedger.class).ifPresent(DriverLedger::close);
    }
}
