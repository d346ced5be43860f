#if canImport(Glibc)
import Glibc
#endif

/// The repository root, from this file's path (Tests/LatticeWireTests/TestFiles.swift).
func repositoryRoot(file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}

struct FileError: Error, CustomStringConvertible {
    let description: String
}

func readFile(_ path: String) throws -> String {
    String(decoding: try readBytes(path), as: UTF8.self)
}

func readBytes(_ path: String) throws -> [UInt8] {
    guard let handle = fopen(path, "rb") else { throw FileError(description: "cannot open \(path)") }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, handle)
        if count == 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

func writeFile(_ path: String, _ text: String) throws {
    guard let handle = fopen(path, "wb") else { throw FileError(description: "cannot write \(path)") }
    defer { fclose(handle) }
    let bytes = Array(text.utf8)
    guard fwrite(bytes, 1, bytes.count, handle) == bytes.count else { throw FileError(description: "short write") }
}

enum Environment {
    static func get(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

func hex(_ bytes: some Collection<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func unhex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    for index in stride(from: 0, to: chars.count, by: 2) {
        guard let byte = UInt8(String(decoding: chars[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        out.append(byte)
    }
    return out
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// The regular files in `directory` (not hidden ones), sorted; empty when it does not exist.
func listFiles(_ directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if !name.hasPrefix("."), entry.pointee.d_type == UInt8(DT_REG) { names.append(directory + "/" + name) }
    }
    return names.sorted()
}
