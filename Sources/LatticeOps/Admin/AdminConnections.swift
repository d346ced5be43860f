import NIOCore
import Synchronization

/// The open admin connections, so shutdown can close idle ones at once and let busy ones
/// finish the response they are writing.
final class AdminConnections: Sendable {
    private struct Entry {
        var channel: any Channel
        var busy: Bool
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    /// Registers a connection; false when the server is shutting down or full.
    func open(_ channel: any Channel, limit: Int) -> Bool {
        state.withLock { state in
            guard !state.shuttingDown, state.entries.count < limit else { return false }
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, busy: false)
            return true
        }
    }

    func close(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Marks a request in progress.
    func beginRequest(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.busy = true }
    }

    /// Marks the request answered; true when the connection must now close (shutdown).
    func endRequest(_ channel: any Channel) -> Bool {
        state.withLock { state in
            state.entries[ObjectIdentifier(channel)]?.busy = false
            return state.shuttingDown
        }
    }

    /// Starts shutdown and returns the idle connections to close now.
    func beginShutdown() -> [any Channel] {
        state.withLock { state in
            state.shuttingDown = true
            return state.entries.values.filter { !$0.busy }.map(\.channel)
        }
    }
}
