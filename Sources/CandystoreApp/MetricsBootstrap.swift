import Metrics
import NIOConcurrencyHelpers
public import Prometheus

/// Bootstraps swift-metrics once per process with a Prometheus registry (exported on `/metrics`).
public enum MetricsBootstrap {
    private static let registry = NIOLockedValueBox<PrometheusCollectorRegistry?>(nil)

    /// The process's registry, bootstrapping the metrics system on first use.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        registry.withLockedValue { current in
            if let current { return current }
            let created = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: created)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
            ]
            factory.defaultValueHistogramBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]
            MetricsSystem.bootstrap(factory)
            current = created
            return created
        }
    }
}
