import Hummingbird
import Metrics
import Prometheus

/// `/metrics` in the Prometheus text format. The process bootstraps swift-metrics with one registry
/// (``ReelMetrics/bootstrap()``, once: `reel serve` does it); the engine's, the media service's and
/// Hummingbird's request metrics all land there.
public enum ReelMetrics {
    nonisolated(unsafe) private static var bootstrapped: PrometheusCollectorRegistry?

    /// Installs the Prometheus backend for swift-metrics (first call only) and returns its registry.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        if let r = bootstrapped { return r }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        bootstrapped = registry
        return registry
    }

    /// Behind the admin token unless `server.publicMetrics`: the metrics name routes, queue depths and error
    /// rates an attacker would like to watch.
    static func addRoute(to router: Router<ReelRequestContext>, registry: PrometheusCollectorRegistry, api: ReelAPI, isPublic: Bool) {
        router.get("metrics") { request, _ -> Response in
            if !isPublic {
                do { try api.requireAdmin(request) } catch {
                    throw APIError(.unauthorized, "adminOnly", "/metrics needs the admin token (or server.publicMetrics)")
                }
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
