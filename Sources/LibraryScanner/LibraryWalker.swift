#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file found by `LibraryWalker`, with what the incremental scan compares.
public struct WalkedFile: Sendable, Hashable {
    /// The path as reached from the root (through links, not resolved).
    public let path: RawPath
    /// Bytes.
    public let size: Int64
    /// Last modification, nanoseconds since 1970.
    public let modificationTimeNs: Int64
}

/// A path the walk could not enter or resolve; the walk goes on without it.
public struct WalkFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The folder, link or root that could not be read.
    public let path: RawPath
    /// `errno` of the failing call.
    public let code: Int32
    /// The system call that failed, e.g. "opendir".
    public let call: String

    /// The system's text for `code`.
    public var message: String { errnoMessage(code) }

    public var description: String {
        "\(path.displayString): \(call): \(message)"
    }
}

/// Walks folders recursively by raw byte paths, so any file name the kernel allows is found and kept exactly.
///
/// Symbolic links are followed, but each folder and file (by device and inode) is visited once, so link loops
/// end and a file reached twice is reported once. Names starting with a dot are skipped. Entries are visited in
/// byte order of their names, so walks are repeatable.
public struct LibraryWalker: Sendable {
    /// A walker; it has no settings.
    public init() {}

    /// Calls `visit` for every regular file below `roots` (a root that is itself a file is visited too) and
    /// `fail` for every root or entry that cannot be read or resolved (missing, dangling link, no permission).
    public func walk(_ roots: [RawPath], visit: (WalkedFile) throws -> Void,
                     fail: (WalkFailure) throws -> Void) rethrows {
        var state = WalkState()
        for root in roots {
            switch status(of: root) {
            case .failure(let failure): try fail(failure)
            case .success(let info): try walkEntry(root, info, &state, visit, fail)
            }
        }
    }

    /// All regular files below `roots` and the paths that could not be read.
    public func files(in roots: [RawPath]) -> (files: [WalkedFile], failures: [WalkFailure]) {
        var files: [WalkedFile] = []
        var failures: [WalkFailure] = []
        walk(roots, visit: { files.append($0) }, fail: { failures.append($0) })
        return (files, failures)
    }

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private struct WalkState {
        var visited: Set<FileIdentity> = []
    }

    private func walkEntry(_ path: RawPath, _ info: stat, _ state: inout WalkState,
                           _ visit: (WalkedFile) throws -> Void, _ fail: (WalkFailure) throws -> Void) rethrows {
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFDIR || kind == S_IFREG else { return }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        guard state.visited.insert(identity).inserted else { return }
        if kind == S_IFREG {
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            try visit(WalkedFile(path: path, size: Int64(info.st_size), modificationTimeNs: mtime))
            return
        }
        switch entryNames(of: path) {
        case .failure(let failure): try fail(failure)
        case .success(let names):
            for name in names {
                let child = path.appending(name)
                switch status(of: child) {
                case .failure(let failure): try fail(failure)
                case .success(let childInfo): try walkEntry(child, childInfo, &state, visit, fail)
                }
            }
        }
    }

    /// The names in a folder, sorted, without ".", ".." and hidden names.
    private func entryNames(of folder: RawPath) -> Result<[[UInt8]], WalkFailure> {
        guard let directory = folder.withCString({ opendir($0) }) else {
            return .failure(WalkFailure(path: folder, code: errno, call: "opendir"))
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { return .failure(WalkFailure(path: folder, code: errno, call: "readdir")) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name.first != UInt8(ascii: ".") { names.append(name) }
        }
        return .success(names.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// stat(2), which follows links: a dangling link (ENOENT) or a link cycle (ELOOP) fails here.
    private func status(of path: RawPath) -> Result<stat, WalkFailure> {
        var info = stat()
        if path.withCString({ stat($0, &info) }) != 0 {
            return .failure(WalkFailure(path: path, code: errno, call: "stat"))
        }
        return .success(info)
    }
}
