import LatticeWire
import Metrics
import Synchronization

/// What the transport has done, readable at any time (tests poll it) and also reported to
/// swift-metrics as `lattice_transport_handshakes_total` and
/// `lattice_transport_failures_total{reason=<WireError.Code>}`.
public final class TransportCounters: Sendable {
    /// A consistent copy of every counter.
    public struct Snapshot: Sendable, Equatable {
        /// Handshakes that ended with an admitted peer.
        public var handshakesCompleted = 0
        /// Connections closed at accept because `handshakesPendingMax` handshakes were in progress.
        public var refusedBusy = 0
        /// Connections closed because of an error, by reason.
        public var failures: [WireError.Code: Int] = [:]

        /// Failures of one reason.
        public subscript(_ code: WireError.Code) -> Int { failures[code] ?? 0 }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func recordHandshake() {
        state.withLock { $0.handshakesCompleted += 1 }
        Counter(label: "lattice_transport_handshakes_total").increment()
    }

    func recordRefusedBusy() {
        state.withLock { $0.refusedBusy += 1 }
        Counter(label: "lattice_transport_refused_busy_total").increment()
    }

    func recordFailure(_ code: WireError.Code) {
        state.withLock { $0.failures[code, default: 0] += 1 }
        Counter(label: "lattice_transport_failures_total", dimensions: [("reason", code.description)]).increment()
    }
}
