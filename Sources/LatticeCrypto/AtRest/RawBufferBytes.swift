/// Lets bytes that live elsewhere (a memory-mapped database page) be sealed, opened or hashed
/// in place, without copying them into an array first.
extension UnsafeRawBufferPointer: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}
