/// Fair sharing of one link's round budget between tenants: deficit round robin.
///
/// M. Shreedhar and G. Varghese, "Efficient Fair Queuing using Deficit Round Robin", ACM SIGCOMM
/// 1995. Each tenant with pending batches earns a *quantum* of bytes per visit, proportional to its
/// weight, into a deficit counter; it sends batches from the head of its queue while the head fits
/// in its deficit, and an emptied queue forfeits its deficit. Visits rotate, so a tenant with a
/// huge backlog cannot starve one with a small backlog: every active tenant is visited in every
/// round, and over many rounds each gets bytes in proportion to its weight.
///
/// Here a "round" of DRR is one anti-entropy round with one peer: ``plan(_:budgetBytes:)`` takes
/// the tenants' pending batch sizes and the round's byte budget (``SyncScheduler``'s `batchBytes`)
/// and returns which batches to send, in order. Quanta are `budgetBytes · weight / Σ weights` of
/// the active tenants, so one visit to every tenant spends at most the budget; visits repeat
/// within a round while budget remains and some head still fits. Deficits persist between rounds
/// (keep one `TenantScheduler` per link), which is what makes large batches fair over time.
///
/// A batch larger than the whole budget is granted alone, as a round's first grant, once its
/// tenant has earned a full budget of deficit — it is never starved, and never split.
public struct TenantScheduler<Tenant: Hashable & Comparable & Sendable>: Sendable {
    /// One tenant's queue as the round begins.
    public struct Queue: Hashable, Sendable {
        public var tenant: Tenant
        /// Relative share of the link; clamped to `1...weightMax`.
        public var weight: Int
        /// Sizes of the batches waiting to be sent, in send order (bytes; negatives count as 0).
        public var pendingBatchBytes: [Int]

        public init(tenant: Tenant, weight: Int, pendingBatchBytes: [Int]) {
            self.tenant = tenant
            self.weight = weight
            self.pendingBatchBytes = pendingBatchBytes
        }
    }

    /// Send the next batch of `tenant`'s queue, of `bytes` bytes.
    public struct Grant: Hashable, Sendable {
        public var tenant: Tenant
        public var bytes: Int
    }

    /// Largest weight honoured. A ratio beyond 1000:1 is indistinguishable from starving the light
    /// tenant within any practical number of rounds, and the bound keeps `budget · weight` far from
    /// overflow for any budget up to ``SchedulePreset/batchBytesLimit``.
    public static var weightMax: Int { 1000 }

    private var deficits: [Tenant: Int] = [:]
    private var lastVisited: Tenant?

    public init() {}

    /// Bytes `tenant` has earned but not yet spent.
    public func deficit(of tenant: Tenant) -> Int { deficits[tenant] ?? 0 }

    /// The batches to send this round, in order, spending at most `budgetBytes` (except a single
    /// oversized batch, see the type's documentation). The caller removes granted batches from
    /// the fronts of its queues. A tenant listed twice is taken at its first listing.
    public mutating func plan(_ queues: [Queue], budgetBytes: Int) -> [Grant] {
        var round = DRRRound(queues: activeQueues(queues), budget: max(0, budgetBytes), deficits: deficits)
        round.run()
        // Tenants whose queues are empty (or absent) forfeit their deficits.
        deficits = round.deficits.filter { round.activeTenants.contains($0.key) && $0.value > 0 }
        if let visited = round.lastVisited { lastVisited = visited }
        return round.grants
    }

    /// Tenants with pending batches, sorted, rotated to start just after the last one visited.
    private func activeQueues(_ queues: [Queue]) -> [Queue] {
        var seen = Set<Tenant>()
        let active = queues.filter { !$0.pendingBatchBytes.isEmpty && seen.insert($0.tenant).inserted }
            .sorted { $0.tenant < $1.tenant }
        guard let last = lastVisited, let start = active.firstIndex(where: { $0.tenant > last }) else { return active }
        return Array(active[start...] + active[..<start])
    }
}

/// One call of ``TenantScheduler/plan(_:budgetBytes:)``: the visiting loop.
private struct DRRRound<Tenant: Hashable & Comparable & Sendable> {
    let queues: [TenantScheduler<Tenant>.Queue]
    let budget: Int
    var deficits: [Tenant: Int]
    var remaining: Int
    var heads: [Int]
    var quanta: [Int]
    var blocked: [Bool]
    var grants: [TenantScheduler<Tenant>.Grant] = []
    var lastVisited: Tenant?
    /// Tenants still holding pending batches after the round (their deficits are kept).
    var activeTenants: Set<Tenant> = []

    init(queues: [TenantScheduler<Tenant>.Queue], budget: Int, deficits: [Tenant: Int]) {
        self.queues = queues
        self.budget = budget
        self.deficits = deficits
        self.remaining = budget
        self.heads = Array(repeating: 0, count: queues.count)
        self.blocked = Array(repeating: false, count: queues.count)
        let weights = queues.map { min(max($0.weight, 1), TenantScheduler<Tenant>.weightMax) }
        let total = max(1, weights.reduce(0, +))
        self.quanta = weights.map { max(1, budget / total * $0 + (budget % total) * $0 / total) }
    }

    private func head(_ i: Int) -> Int? {
        heads[i] < queues[i].pendingBatchBytes.count ? max(0, queues[i].pendingBatchBytes[heads[i]]) : nil
    }

    /// What a head costs in deficit: its size, or the whole budget for an oversized batch.
    private func cost(_ size: Int) -> Int { min(size, budget) }

    /// Whether a head of `size` may be sent with the budget left.
    private func fits(_ size: Int) -> Bool { size <= remaining || (size > budget && remaining == budget) }

    mutating func run() {
        while remaining > 0, let passes = emptyPassesBeforeProgress() {
            visitAll(extraQuanta: passes)
        }
        for i in queues.indices where head(i) != nil { activeTenants.insert(queues[i].tenant) }
    }

    /// `nil` when no tenant can send any more this round; otherwise how many whole visits every
    /// eligible tenant would make without sending before one of them can (skipped in one step).
    private mutating func emptyPassesBeforeProgress() -> Int? {
        var fewest: Int?
        for i in queues.indices where !blocked[i] {
            guard let size = head(i) else { continue }
            guard fits(size) else {
                blocked[i] = true
                continue
            }
            let short = cost(size) - (deficits[queues[i].tenant] ?? 0) - quanta[i]
            let passes = short <= 0 ? 0 : (short + quanta[i] - 1) / quanta[i]
            fewest = min(fewest ?? passes, passes)
        }
        return fewest
    }

    /// One visit to every eligible tenant, each first credited `1 + extraQuanta` quanta. The pass
    /// ends when the budget does: tenants not reached are neither credited nor counted as visited,
    /// so the next round starts with them.
    private mutating func visitAll(extraQuanta: Int) {
        for i in queues.indices where !blocked[i] {
            guard remaining > 0 else { return }
            guard let first = head(i) else { continue }
            let tenant = queues[i].tenant
            var deficit = (deficits[tenant] ?? 0) + quanta[i] * (1 + extraQuanta)
            lastVisited = tenant
            var size = first
            while fits(size), cost(size) <= deficit {
                grants.append(.init(tenant: tenant, bytes: size))
                deficit -= cost(size)
                remaining = max(0, remaining - size)
                heads[i] += 1
                guard let next = head(i) else { break }
                size = next
            }
            // An emptied queue forfeits its deficit; a waiting one keeps at most one head plus one quantum.
            deficits[tenant] = head(i) == nil ? 0 : min(deficit, cost(size) + quanta[i])
        }
    }
}
