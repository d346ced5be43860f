/// Fair sharing of one link's round budget between tenants: deficit round robin.
///
/// M. Shreedhar and G. Varghese, "Efficient Fair Queuing using Deficit Round Robin", ACM SIGCOMM
/// 1995. Each tenant with pending batches earns a *quantum* of bytes per visit, proportional to its
/// weight, into a deficit counter; it sends batches from the head of its queue while the head fits
/// in its deficit, and an emptied queue forfeits its deficit. Visits rotate, so a tenant with a
/// huge backlog cannot starve one with a small backlog: every active tenant is visited in every
/// round, and over many rounds each gets bytes in proportion to its weight.
///
/// Here the DRR service order runs on across anti-entropy rounds with one peer, and each round
/// takes the next `budgetBytes` of it: ``plan(_:budgetBytes:)`` is given the tenants' pending batch
/// sizes and the round's byte budget (``SyncScheduler``'s `batchBytes`) and returns which batches
/// to send, in order. When the next batch does not fit in what is left of the budget the round
/// ends there, and the next round resumes at that very tenant without crediting it again — so
/// the grants over many rounds are exactly DRR's output, cut into budget-sized pieces. Quanta are
/// `budgetBytes · weight / Σ weights` of the active tenants, so one full cycle over every tenant
/// fits into about one round: with batches no larger than its quantum, every backlogged tenant
/// sends in every round. Keep one `TenantScheduler` per link.
///
/// A batch larger than the whole budget is granted alone, as a round's first grant, once its
/// tenant's deficit covers a full budget — it is never starved, and never split.
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

        public init(tenant: Tenant, bytes: Int) {
            self.tenant = tenant
            self.bytes = bytes
        }
    }

    /// Largest weight honoured. A ratio beyond 1000:1 is indistinguishable from starving the light
    /// tenant within any practical number of rounds, and the bound keeps `budget · weight` far from
    /// overflow for any budget up to ``SchedulePreset/batchBytesLimit``.
    public static var weightMax: Int { 1000 }

    private var deficits: [Tenant: Int] = [:]
    /// The tenant the next round starts with, and whether it already had its quantum for this visit.
    private var cursor: (tenant: Tenant, credited: Bool)?

    public init() {}

    /// Bytes `tenant` has earned but not yet spent.
    public func deficit(of tenant: Tenant) -> Int { deficits[tenant] ?? 0 }

    /// The batches to send this round, in order, spending at most `budgetBytes` (except a single
    /// oversized batch, see the type's documentation). The caller removes granted batches from
    /// the fronts of its queues. A tenant listed twice is taken at its first listing; weights are
    /// clamped to `1...weightMax`.
    public mutating func plan(_ queues: [Queue], budgetBytes: Int) -> [Grant] {
        var seen = Set<Tenant>()
        let active = queues.filter { !$0.pendingBatchBytes.isEmpty && seen.insert($0.tenant).inserted }
            .sorted { $0.tenant < $1.tenant }
        var round = DRRRound(queues: active, budget: max(0, budgetBytes), deficits: deficits)
        if let cursor, let start = active.firstIndex(where: { $0.tenant >= cursor.tenant }) {
            round.position = start
            round.credited = active[start].tenant == cursor.tenant && cursor.credited
        }
        round.run()
        // Tenants whose queues emptied (or that are absent) forfeit their deficits.
        deficits = round.deficits.filter { $0.value > 0 && seen.contains($0.key) }
        cursor = round.position < active.count ? (active[round.position].tenant, round.credited) : nil
        return round.grants
    }
}

/// One call of ``TenantScheduler/plan(_:budgetBytes:)``: DRR visits until the budget is spent or
/// every queue is empty.
private struct DRRRound<Tenant: Hashable & Comparable & Sendable> {
    let queues: [TenantScheduler<Tenant>.Queue]
    let budget: Int
    let quanta: [Int]
    var deficits: [Tenant: Int]
    var remaining: Int
    var heads: [Int]
    var position = 0
    var credited = false
    var grants: [TenantScheduler<Tenant>.Grant] = []

    init(queues: [TenantScheduler<Tenant>.Queue], budget: Int, deficits: [Tenant: Int]) {
        self.queues = queues
        self.budget = budget
        self.deficits = deficits
        self.remaining = budget
        self.heads = Array(repeating: 0, count: queues.count)
        let weights = queues.map { min(max($0.weight, 1), TenantScheduler<Tenant>.weightMax) }
        let total = max(1, weights.reduce(0, +))
        self.quanta = weights.map { max(1, budget / total * $0 + (budget % total) * $0 / total) }
    }

    private func head(_ i: Int) -> Int? {
        heads[i] < queues[i].pendingBatchBytes.count ? max(0, queues[i].pendingBatchBytes[heads[i]]) : nil
    }

    /// What a batch costs in deficit: its size, or the whole budget for an oversized batch.
    private func cost(_ size: Int) -> Int { min(size, budget) }

    /// Whether a batch of `size` may be sent with the budget left.
    private func fits(_ size: Int) -> Bool { size <= remaining || (size > budget && remaining == budget) }

    private var nonEmpty: Int { queues.indices.reduce(0) { $0 + (head($1) == nil ? 0 : 1) } }

    mutating func run() {
        guard !queues.isEmpty, budget > 0 else { return }
        var visitsWithoutGrant = 0
        while remaining > 0, nonEmpty > 0 {
            guard let outcome = visit(position) else { return }  // budget ends inside this visit
            visitsWithoutGrant = outcome ? 0 : visitsWithoutGrant + 1
            position = (position + 1) % queues.count
            credited = false
            if visitsWithoutGrant >= queues.count {
                fastForward()
                visitsWithoutGrant = 0
            }
        }
    }

    /// Serves tenant `i`: credits its quantum (once per visit) and grants batches while its deficit
    /// covers them. Returns whether it granted anything, or `nil` if the budget ran out with this
    /// tenant still entitled to its next batch (the next round resumes here).
    private mutating func visit(_ i: Int) -> Bool? {
        let tenant = queues[i].tenant
        guard head(i) != nil else { return false }
        var deficit = deficits[tenant] ?? 0
        if !credited { deficit += quanta[i] }
        credited = true
        var granted = false
        while let size = head(i), cost(size) <= deficit {
            guard fits(size) else {
                deficits[tenant] = deficit
                return nil
            }
            grants.append(.init(tenant: tenant, bytes: size))
            deficit -= cost(size)
            remaining = max(0, remaining - size)
            heads[i] += 1
            granted = true
        }
        deficits[tenant] = head(i) == nil ? 0 : deficit
        return granted
    }

    /// A whole cycle granted nothing: every deficit is short of its head. Credit everyone the
    /// quanta of the empty cycles that would pass before the first tenant can send, in one step.
    private mutating func fastForward() {
        var cycles = Int.max
        for i in queues.indices {
            guard let size = head(i) else { continue }
            let short = cost(size) - (deficits[queues[i].tenant] ?? 0)
            cycles = min(cycles, max(0, (short + quanta[i] - 1) / quanta[i] - 1))
        }
        guard cycles != Int.max, cycles > 0 else { return }
        for i in queues.indices where head(i) != nil { deficits[queues[i].tenant, default: 0] += quanta[i] * cycles }
    }
}
