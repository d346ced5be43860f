/// The workload of the crash test, shared by the child process (`lattice debug store-writer`)
/// and the test that checks what survived, so both agree on what each key must hold.
@_spi(Testing)
public enum CrashWorkload {
    /// The tenant the crash test writes to.
    public static let tenant = "crash-test"

    /// The key the `index`th write of writer `writer` in run `run` uses.
    public static func key(run: String, writer: Int, index: Int) -> String {
        "\(run)/w\(writer)/\(index)"
    }

    /// The value stored under `key`: derived from the key, 20 to 600 bytes long, so a torn or
    /// misplaced value is detected.
    public static func value(for key: String) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a 64, offset basis
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let count = 20 + Int(hash % 581)
        let seed = Array("value of \(key);".utf8)
        return (0..<count).map { seed[$0 % seed.count] }
    }
}
