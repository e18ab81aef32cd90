#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file system path kept as the exact bytes the kernel uses.
///
/// File names on Linux are byte strings and need not be valid UTF-8; a `String` would replace the invalid
/// bytes and the file could no longer be opened. `RawPath` keeps the bytes and offers a lossy
/// `displayString` for people.
public struct RawPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path's bytes, without a terminating NUL.
    public let bytes: [UInt8]

    /// A path made of the given bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A path made of the UTF-8 encoding of `string`.
    public init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    /// The path for people to read: invalid UTF-8 sequences are shown as U+FFFD.
    public var displayString: String {
        String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { displayString }

    /// True when the bytes are valid UTF-8, that is when `displayString` is exact.
    public var isValidUTF8: Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }

    /// The last path component (the file or folder name).
    public var lastComponent: [UInt8] {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return bytes }
        return Array(bytes[(slash + 1)...])
    }

    /// The last component without its extension, for people (invalid UTF-8 shown as U+FFFD).
    public var fileStem: String {
        let name = lastComponent
        if let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex {
            return String(decoding: name[..<dot], as: UTF8.self)
        }
        return String(decoding: name, as: UTF8.self)
    }

    /// The lower-cased extension of the last component (`"mp3"`), or nil when it has none.
    public var lowercasedExtension: String? {
        let name = lastComponent
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot > name.startIndex else { return nil }
        return String(decoding: name[(dot + 1)...], as: UTF8.self).lowercased()
    }

    /// True when the last component starts with a dot.
    public var isHidden: Bool {
        lastComponent.first == UInt8(ascii: ".")
    }

    /// This path with `component` (a single name, raw bytes) appended after a slash.
    public func appending(_ component: [UInt8]) -> RawPath {
        var joined = bytes
        if joined.last != UInt8(ascii: "/") { joined.append(UInt8(ascii: "/")) }
        joined.append(contentsOf: component)
        return RawPath(bytes: joined)
    }

    /// This path with a UTF-8 `component` appended after a slash.
    public func appending(_ component: String) -> RawPath {
        appending(Array(component.utf8))
    }

    /// True when `self` is `folder` or lies below it.
    public func isInside(_ folder: RawPath) -> Bool {
        let prefix = folder.bytes.last == UInt8(ascii: "/") ? folder.bytes : folder.bytes + [UInt8(ascii: "/")]
        return bytes == folder.bytes || bytes.starts(with: prefix)
    }

    public static func < (lhs: RawPath, rhs: RawPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Calls `body` with the path as a NUL-terminated C string, for the C libraries and system calls.
    func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}

/// The text of a C `errno` value.
func errnoMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
