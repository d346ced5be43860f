#if canImport(Glibc)
import Glibc
#endif

/// Hand-built zstd frames (RFC 8878) that expand far beyond their size.
///
/// zstd caps a block at 128 KiB of output, and the cheapest block is an RLE block (3-byte
/// header + 1 byte), so the best ratio is 32,768:1: 1 KiB of frame expands to about
/// 32 MiB, and 1 GiB takes about 32 KiB of frame. Built block by block, so the test never
/// holds the expanded bytes itself.
enum ZstdBomb {
    /// `blocks` RLE blocks of 128 KiB of zeros, behind a frame header that declares
    /// `declaredSize` (8-byte Frame_Content_Size) or no size at all.
    static func frame(blocks: Int, declaredSize: UInt64? = nil) -> [UInt8] {
        var out: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]  // magic number, little-endian
        out.append(declaredSize == nil ? 0x00 : 0xC0)  // descriptor: FCS flag 3 (8 bytes) or absent
        out.append(0x38)  // window descriptor: exponent 7 -> window log 17 (128 KiB)
        if let declaredSize {
            out += (0..<8).map { UInt8(truncatingIfNeeded: declaredSize >> (8 * UInt64($0))) }
        }
        let blockBytes = 128 * 1024
        for index in 0..<blocks {
            let last = index == blocks - 1 ? 1 : 0
            let header = blockBytes << 3 | 1 << 1 | last  // size, type RLE (1), last-block bit
            out += [UInt8(header & 0xFF), UInt8(header >> 8 & 0xFF), UInt8(header >> 16 & 0xFF), 0x00]
        }
        return out
    }

    /// Bytes `frame(blocks:)` expands to.
    static func expandedBytes(blocks: Int) -> Int { blocks * 128 * 1024 }
}

/// The process's peak resident set (VmHWM from /proc/self/status), in bytes.
func peakResidentBytes() -> Int? {
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard text.hasPrefix("VmHWM:") else { continue }
        let digits = text.filter(\.isNumber)
        return Int(digits).map { $0 * 1024 }
    }
    return nil
}
