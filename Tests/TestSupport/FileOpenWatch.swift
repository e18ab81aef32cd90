#if canImport(Glibc)
import Glibc

/// Counts the times a file is opened, by any code in the process, C libraries included: the kernel's inotify reports
/// every open of the watched file as an event, queued when the open happens, so counting needs no waiting or timing.
///
/// inotify merges an event with the one queued just before it when both are the same; the watch also takes reads and
/// closes, so two opens merge only if nothing was read or closed between them.
public final class FileOpenWatch {
    private let descriptor: Int32

    /// Starts watching the file at `path`.
    public init(path: String) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw WatchError(call: "inotify_init1", code: errno) }
        let mask = UInt32(IN_OPEN) | UInt32(IN_ACCESS) | UInt32(IN_CLOSE_NOWRITE) | UInt32(IN_CLOSE_WRITE)
        guard inotify_add_watch(descriptor, path, mask) >= 0 else {
            let code = errno
            close(descriptor)
            throw WatchError(call: "inotify_add_watch", code: code)
        }
    }

    deinit {
        close(descriptor)
    }

    /// The opens since the watch started or since the last call.
    public func opens() -> Int {
        var opens = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got <= 0 { return opens }
            var offset = 0
            while offset < got {
                let (mask, nameLength) = buffer.withUnsafeBytes { bytes in
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.mask, Int(event.len))
                }
                if mask & UInt32(IN_OPEN) != 0 { opens += 1 }
                offset += MemoryLayout<inotify_event>.size + nameLength
            }
        }
    }

    /// A failed inotify call and its errno.
    public struct WatchError: Error {
        public let call: String
        public let code: Int32
    }
}
#endif
