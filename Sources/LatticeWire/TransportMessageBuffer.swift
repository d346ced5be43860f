/// Where `TransportSession.seal(_:into:)` appends transport messages, each as
/// `u16 length (big-endian) | ciphertext`: the connection's outbound buffer, so a message
/// is encrypted where it will be sent from, without an intermediate array.
public protocol TransportMessageBuffer {
    /// Appends `count` bytes, every one of which `fill` writes.
    mutating func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void)
}

extension Array: TransportMessageBuffer where Element == UInt8 {
    public mutating func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let start = self.count
        append(contentsOf: repeatElement(0, count: count))
        withUnsafeMutableBytes { fill(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }
}
