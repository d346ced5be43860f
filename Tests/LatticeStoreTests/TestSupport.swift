import Foundation
import LatticeCrypto
import Testing

@testable import LatticeStore

#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory removed when the value is dropped (via `remove()` in a defer).
struct TempDirectory {
    let path: String

    init() {
        var template = Array("/tmp/lattice-store-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A path inside the directory.
    func child(_ name: String) -> String { path + "/" + name }

    func remove() { removeTree(path) }
}

/// A fresh temp directory with a data directory `data` and a master key file `master.key`.
struct StoreFixture {
    let temp = TempDirectory()
    var dataDirectory: String { temp.child("data") }
    var keyFile: String { temp.child("master.key") }
    let masterKey: MasterKey

    init() throws {
        masterKey = try MasterKey.generate(at: temp.child("master.key"))
    }

    func open(_ configuration: StoreConfiguration = StoreConfiguration()) throws -> Store {
        try Store.open(directory: dataDirectory, masterKey: masterKey, configuration: configuration)
    }

    func remove() { temp.remove() }
}

/// Every file under `directory`, recursively.
func filesUnder(_ directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var out: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
        }
        if name == "." || name == ".." { continue }
        let path = directory + "/" + name
        var info = stat()
        guard lstat(path, &info) == 0 else { continue }
        if info.st_mode & S_IFMT == S_IFDIR { out += filesUnder(path) } else { out.append(path) }
    }
    return out
}

/// Removes `path` and everything under it (a symlink is removed, not followed).
func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The whole contents of `path`.
func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n == 0 { break }
        out += chunk[..<n]
    }
    return out
}

/// Offsets at which `needle` occurs in `haystack`.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
    var hits: [Int] = []
    let first = needle[0]
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { hits.append(i) }
        i += 1
    }
    return hits
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
    while monotonicNanoseconds() < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}
