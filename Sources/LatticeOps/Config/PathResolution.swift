/// Lexical path handling: no file system access, no symlink resolution, no `~` expansion.
enum PathResolution {
    /// `path` if absolute, otherwise `base/path`, with `.` and `..` segments folded.
    static func absolute(_ path: String, relativeTo base: String) -> String {
        normalize(path.hasPrefix("/") ? path : join(base, path))
    }

    /// `base/path` with exactly one slash between them.
    static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// The directory part of `path` (`/a/b/c.toml` -> `/a/b`), `.` when there is none.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// Folds `.`, `..` and repeated slashes of an absolute path (`..` at the root stays at the root).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
