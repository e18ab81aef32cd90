import Foundation
import LibraryScanner

/// Writes a ranking as an extended M3U playlist in UTF-8 (`.m3u8`), best first.
public struct PlaylistWriter: Sendable {
    /// At most this many entries (tracks that had to be skipped do not take a place); nil = all.
    public var top: Int?
    /// Only tracks whose fit is at least this; nil = all.
    public var minFit: Double?
    /// Write paths relative to this folder (with `../` where needed), so the playlist can move with the
    /// music; nil = absolute paths.
    public var relativeTo: RawPath?

    /// A writer with the given options.
    public init(top: Int? = nil, minFit: Double? = nil, relativeTo: RawPath? = nil) {
        self.top = top
        self.minFit = minFit
        self.relativeTo = relativeTo
    }

    /// A track left out of the playlist, and why.
    public struct Skipped: Sendable, Equatable {
        /// The track's path.
        public var path: RawPath
        /// Why it could not be written, for a warning.
        public var reason: String
    }

    /// The playlist's bytes and what had to be left out.
    public struct Playlist: Sendable {
        /// The whole file, UTF-8.
        public var data: Data
        /// How many tracks the playlist holds.
        public var entryCount: Int
        /// Tracks that passed the filters but cannot be written faithfully, in ranking order.
        public var skipped: [Skipped]

        /// Writes the playlist to `url` atomically (a temporary file renamed over it), so a player never reads a
        /// half-written list.
        /// - Throws: Foundation's file error when the file cannot be written.
        public func write(to url: URL) throws {
            try data.write(to: url, options: .atomic)
        }
    }

    /// The playlist of `tracks`, which must already be ranked best first.
    ///
    /// A path with a line break would break the one-path-per-line format, and a path that is not valid
    /// UTF-8 cannot be stored in a UTF-8 playlist; both are skipped and listed in `skipped` rather than
    /// written wrongly.
    public func playlist(_ tracks: [ScoredTrack]) -> Playlist {
        var text = "#EXTM3U\n"
        var entryCount = 0
        var skipped: [Skipped] = []
        let base = relativeTo.map(Self.absoluteComponents)
        for track in tracks {
            if let top, entryCount >= top { break }
            if let minFit, !(track.fit >= minFit) { continue }
            guard let pathText = String(validating: track.path.bytes, as: UTF8.self) else {
                skipped.append(Skipped(path: track.path, reason: "the path is not valid UTF-8, a UTF-8 playlist cannot hold it"))
                continue
            }
            guard !pathText.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
                skipped.append(Skipped(path: track.path, reason: "the path contains a line break, a playlist cannot hold it"))
                continue
            }
            var entry = pathText
            if let base {
                entry = Self.relative(Self.absoluteComponents(track.path), to: base)
            }
            // A line starting with '#' is a comment to players.
            if entry.hasPrefix("#") { entry = "./" + entry }
            text += "#EXTINF:\(Self.seconds(track.duration)),\(Self.singleLine(track.displayName))\n\(entry)\n"
            entryCount += 1
        }
        return Playlist(data: Data(text.utf8), entryCount: entryCount, skipped: skipped)
    }

    /// Whole seconds, rounded; -1 (M3U's "unknown") when there is no usable duration.
    static func seconds(_ duration: Double?) -> Int {
        guard let duration, duration.isFinite, duration >= 0, duration < Double(Int32.max) else { return -1 }
        return Int(duration.rounded())
    }

    /// The text with line breaks made spaces: a tag with a newline must not end the EXTINF line.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            switch scalar {
            case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": " "
            default: scalar
            }
        }))
    }

    /// The path's components, made absolute against the current folder and with `.` and empty parts removed.
    /// `..` is resolved lexically; that is wrong across symbolic links, but it only shapes how the playlist
    /// spells a path, never which files are read.
    static func absoluteComponents(_ path: RawPath) -> [[UInt8]] {
        var bytes = path.bytes
        if bytes.first != UInt8(ascii: "/") {
            bytes = Array(FileManager.default.currentDirectoryPath.utf8) + [UInt8(ascii: "/")] + bytes
        }
        var components: [[UInt8]] = []
        for part in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = components.popLast()
                continue
            }
            components.append(Array(part))
        }
        return components
    }

    /// `path` spelled relative to the folder `base` (both absolute components).
    static func relative(_ path: [[UInt8]], to base: [[UInt8]]) -> String {
        var common = 0
        while common < path.count, common < base.count, path[common] == base[common] { common += 1 }
        let parts = Array(repeating: Array("..".utf8), count: base.count - common) + path[common...]
        let joined = Array(parts.joined(separator: [UInt8(ascii: "/")]))
        return joined.isEmpty ? "." : String(decoding: joined, as: UTF8.self)
    }
}
