package io.resiliencekit.spark;

/** Installs the plugin's own driver-side services (token authorities, breaker board, ledger). */
final class BuiltInServices {

    private BuiltInServices() {
    }

    static void install(DriverServices services, PluginOptions options) {
    }

    static void shutdown(DriverServices services) {
    }
}
