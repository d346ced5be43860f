extension SchedulePreset {
    /// Several nodes on one host (testnets, tests). RTT is tens of microseconds and bandwidth is
    /// memory-bound, so responsiveness beats saving wake-ups and CPU beats saving bytes.
    public static let loopback = SchedulePreset(
        name: "loopback",
        link: .init(
            rtoInitial: .milliseconds(100),  // a fresh local peer answers in < 1 ms unless still starting up
            rtoMin: .milliseconds(10),  // below this, thread wake-up noise on a loaded 2-core host times rounds out
            rtoMax: .seconds(5),  // a local peer silent for 5 s is stuck; waiting longer only hides it
            clockGranularity: .milliseconds(1),  // event-loop timers fire at about millisecond resolution
            goodputInitialBytesPerSecond: 100e6,  // modest for loopback TCP so first batches are not huge
            goodputWindow: .seconds(1)  // loopback conditions change only with host load: short memory
        ),
        backoff: .init(
            base: .milliseconds(10),  // a local peer restarting is back within a second or two
            cap: .seconds(2),  // never leave a local testnet peer unvisited for long
            attemptsBeforeUnreachable: 6  // about 1 s of failures before we say "unreachable"
        ),
        tickDelayMin: .milliseconds(1),  // tests and demos want changes to spread at once
        tickDelayMax: .seconds(2),  // an idle testnet still checks every peer every couple of seconds
        busyRoundDelay: .milliseconds(1),  // back-to-back rounds while a peer lacks data
        idleRoundDelayInitial: .milliseconds(100),
        idleRoundDelayMax: .seconds(2),
        relayRoundDelayMin: .milliseconds(20),  // a few loopback round trips: local writes spread at once
        roundsInFlightMax: 8,  // local peers are cheap to talk to in parallel
        roundTimeoutMax: .seconds(10),
        batchBytesMin: 64 << 10,  // below 64 KiB per-round overhead dominates even on loopback
        batchBytesMax: 16 << 20,  // bounds one round's memory on both ends
        batchBytesInitial: 1 << 20,
        compressionLevelMin: 0,
        compressionLevelMax: 3,  // spend CPU on the test, not on squeezing loopback bytes
        pushCoalesceMin: .milliseconds(1),  // merge a burst of writes, but feel instant
        pushCoalesceMax: .milliseconds(10),
        pushCoalesceSRTTs: 4
    )

    /// A local network: RTT 0.2–2 ms, 100 Mb/s to 10 Gb/s.
    public static let lan = SchedulePreset(
        name: "lan",
        link: .init(
            rtoInitial: .milliseconds(200),  // LAN peers answer in ms; 200 ms tolerates a busy peer's first reply
            rtoMin: .milliseconds(20),  // well above LAN RTT plus a GC-free process's scheduling jitter
            rtoMax: .seconds(10),
            clockGranularity: .milliseconds(1),
            goodputInitialBytesPerSecond: 10e6,  // ~100 Mb/s Ethernet, the slowest LAN still common
            goodputWindow: .seconds(2)
        ),
        backoff: .init(base: .milliseconds(50), cap: .seconds(10), attemptsBeforeUnreachable: 6),
        tickDelayMin: .milliseconds(5),
        tickDelayMax: .seconds(10),
        busyRoundDelay: .milliseconds(5),
        idleRoundDelayInitial: .milliseconds(250),
        idleRoundDelayMax: .seconds(10),  // an idle LAN peer costs almost nothing to check every 10 s
        relayRoundDelayMin: .milliseconds(100),  // well above LAN RTT: each relay round carries a batch of writes
        roundsInFlightMax: 4,
        roundTimeoutMax: .seconds(30),
        batchBytesMin: 64 << 10,
        batchBytesMax: 8 << 20,
        batchBytesInitial: 512 << 10,
        compressionLevelMin: 0,
        compressionLevelMax: 6,
        pushCoalesceMin: .milliseconds(2),
        pushCoalesceMax: .milliseconds(50),
        pushCoalesceSRTTs: 4
    )

    /// The internet between sites: RTT 20–300 ms, 1–100 Mb/s, occasional loss.
    public static let wan = SchedulePreset(
        name: "wan",
        link: .init(
            rtoInitial: .seconds(1),  // RFC 6298 §2.1
            rtoMin: .milliseconds(200),  // Linux's TCP_RTO_MIN: below it, delayed ACK-like pauses cause false timeouts
            rtoMax: .seconds(60),  // RFC 6298 §2.5: a maximum may be placed, of at least 60 s
            clockGranularity: .milliseconds(10),
            goodputInitialBytesPerSecond: 1e6,  // ~8 Mb/s, a modest internet uplink
            goodputWindow: .seconds(10)  // WAN paths vary; average over several rounds
        ),
        backoff: .init(base: .milliseconds(500), cap: .seconds(120), attemptsBeforeUnreachable: 8),
        tickDelayMin: .milliseconds(50),
        tickDelayMax: .seconds(60),
        busyRoundDelay: .milliseconds(50),
        idleRoundDelayInitial: .seconds(2),
        idleRoundDelayMax: .seconds(60),  // eager push covers fresh writes; anti-entropy is the safety net
        relayRoundDelayMin: .milliseconds(250),  // about one WAN RTT plus TCP's 200 ms retransmission floor
        roundsInFlightMax: 4,
        roundTimeoutMax: .seconds(120),
        batchBytesMin: 32 << 10,
        batchBytesMax: 4 << 20,
        batchBytesInitial: 256 << 10,
        compressionLevelMin: 1,  // WAN bytes are never free: always compress a little
        compressionLevelMax: 9,
        pushCoalesceMin: .milliseconds(20),
        pushCoalesceMax: .seconds(1),
        pushCoalesceSRTTs: 2
    )

    /// Metered, battery-powered devices on cellular or satellite links: RTT 50 ms–2 s. Every wake-up
    /// may power the radio up, which then stays on for seconds, and every byte may cost money: wake
    /// rarely, send fewer, larger, well-compressed rounds.
    public static let edge = SchedulePreset(
        name: "edge",
        link: .init(
            rtoInitial: .seconds(3),  // RFC 2988's initial RTO (kept by RFC 6298 §5.7): radios take seconds to wake
            rtoMin: .seconds(1),  // RFC 6298 §2.4
            rtoMax: .seconds(120),
            clockGranularity: .milliseconds(100),  // timers on a sleeping device are coalesced coarsely
            goodputInitialBytesPerSecond: 64e3,  // ~0.5 Mb/s, degraded cellular
            goodputWindow: .seconds(60)
        ),
        backoff: .init(
            base: .seconds(5),
            cap: .seconds(30 * 60),  // an offline device retries at most every 30 min: battery first
            attemptsBeforeUnreachable: 5
        ),
        tickDelayMin: .seconds(10),  // never wake more often than every 10 s, whatever happens
        tickDelayMax: .seconds(30 * 60),
        busyRoundDelay: .seconds(10),
        idleRoundDelayInitial: .seconds(5 * 60),
        idleRoundDelayMax: .seconds(30 * 60),
        relayRoundDelayMin: .seconds(30),  // a relay round wakes the radio: at most twice a minute
        roundsInFlightMax: 2,  // a thin uplink gains nothing from parallel rounds
        roundTimeoutMax: .seconds(300),
        batchBytesMin: 256 << 10,  // fewer, larger rounds: per-round radio and handshake cost dominates
        batchBytesMax: 8 << 20,
        batchBytesInitial: 1 << 20,
        compressionLevelMin: 6,  // metered: bytes cost money, always compress well
        compressionLevelMax: 12,
        pushCoalesceMin: .seconds(10),
        pushCoalesceMax: .seconds(60),
        pushCoalesceSRTTs: 16
    )

    /// The four presets, in order of increasing link cost.
    public static let all: [SchedulePreset] = [.loopback, .lan, .wan, .edge]

    /// The preset named `name`, or `nil`.
    public static func named(_ name: String) -> SchedulePreset? { all.first { $0.name == name } }
}
