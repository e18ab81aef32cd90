import Foundation
import LibraryScanner
#if canImport(Glibc)
import Glibc
#endif

/// One audio file from the scan on: where it is, which version of it, its tags and length. The same value is decoded,
/// scored and (as a `ScoredTrack`) exported, so nothing is looked up again by path on the way.
public struct AudioTrack: Sendable, Hashable {

    public var path: RawPath
    public var size: Int64
    public var modificationTimeNs: Int64
    public var title: String?
    public var artist: String?
    public var album: String?
    /// Seconds, as the scan measured them; nil when unknown (the decode then tells).
    public var duration: Double?
    /// The folder (style, class) the track came from, where a data set has one.
    public var group: String?

    public init(path: RawPath, size: Int64, modificationTimeNs: Int64, title: String? = nil, artist: String? = nil,
                album: String? = nil, duration: Double? = nil, group: String? = nil) {
        self.path = path
        self.size = size
        self.modificationTimeNs = modificationTimeNs
        self.title = title
        self.artist = artist
        self.album = album
        self.duration = duration
        self.group = group
    }

    /// The track the scan recorded as `row`, in `group` where a data set has one.
    public init(_ row: CatalogTrack, group: String? = nil) {
        self.init(path: row.path, size: row.size, modificationTimeNs: row.modificationTimeNs, title: row.tags.title,
                  artist: row.tags.artist, album: row.tags.album, duration: row.duration, group: group)
    }

    /// The track's name for people (`TrackName.display`).
    public var displayName: String { TrackName.display(artist: artist, title: title, path: path) }
}

/// A decoded track: mono 16-bit PCM at the model's rate memory-mapped from the cache file (training), or only the
/// excerpts scoring reads, held in memory (`init(excerpts:)`).
///
/// For a mapped track the page cache, not the process, holds the samples: a thousand tracks cost address space, not
/// resident memory, and epochs read only the excerpts they need.
public final class PCMTrack: @unchecked Sendable {
    public let sampleRate: Int
    /// Samples in the whole track (also for a track of which only excerpts are held).
    public let count: Int
    private let storage: Storage

    private enum Storage {
        case mapped(base: UnsafeRawPointer, length: Int)
        case excerpts([DecodedExcerpts.Excerpt])
    }

    init(mapping file: String) throws {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { throw PCMCacheError("cannot open cache file \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= PCMTrack.headerSize else { throw PCMCacheError("cache file \(file) is truncated") }
        let length = Int(info.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw PCMCacheError("cannot map cache file \(file): \(String(cString: strerror(errno)))")
        }
        let base = UnsafeRawPointer(map)
        let magic = base.loadUnaligned(as: UInt64.self)
        sampleRate = Int(base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        count = Int(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        guard magic == PCMTrack.magic, PCMTrack.headerSize + 2 * count == length else {
            munmap(map, length)
            throw PCMCacheError("cache file \(file) is damaged")
        }
        storage = .mapped(base: base, length: length)
        releasePages()
    }

    /// A track of which only `decoded`'s excerpts are held: reading elsewhere gives silence.
    public init(excerpts decoded: DecodedExcerpts) {
        sampleRate = decoded.sampleRate
        count = decoded.sampleCount
        storage = .excerpts(decoded.excerpts)
    }

    deinit {
        if case let .mapped(base, length) = storage { munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }

    /// Duration in seconds.
    public var duration: Double { Double(count) / Double(sampleRate) }

    /// `length` samples from `start` as Float in [-1, 1]; past the end (or outside the held excerpts) is silence.
    public func excerpt(from start: Int, length: Int) -> [Float] {
        var out = [Float](repeating: 0, count: length)
        switch storage {
        case let .mapped(base, _):
            let samples = base.advanced(by: PCMTrack.headerSize).assumingMemoryBound(to: Int16.self)
            let available = max(0, min(length, count - max(0, start)))
            for i in 0..<available { out[i] = Float(samples[start + i]) * (1.0 / 32768.0) }
            if available > 0 { releasePages() }
        case let .excerpts(held):
            for piece in held {
                let from = max(start, piece.start), to = min(start + length, piece.start + piece.samples.count)
                for i in from..<max(from, to) { out[i - start] = piece.samples[i - piece.start] }
            }
        }
        return out
    }

    /// Drops the pages of a mapped track from this process's resident set (they stay in the page cache), so
    /// training on a thousand tracks does not grow the process by the size of all their audio.
    ///
    /// The whole mapping is released, not just the bytes read: a fault maps the cached pages around it too
    /// (fault-around, and whole large folios on recent kernels), and releasing only the bytes read left about
    /// 2 MB per track resident, 3 GB for a thousand tracks.
    private func releasePages() {
        if case let .mapped(base, length) = storage { madvise(UnsafeMutableRawPointer(mutating: base), length, MADV_DONTNEED) }
    }

    static let magic: UInt64 = 0x3130_4D43_5053_5354  // "TSSPCM01" little-endian
    static let headerSize = 16

    /// Writes `samples` as a cache file (temporary name, then rename: a killed process leaves no half file).
    static func write(_ samples: [Float], sampleRate: Int, to file: String) throws {
        var data = Data(capacity: headerSize + 2 * samples.count)
        withUnsafeBytes(of: magic.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(sampleRate).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(samples.count).littleEndian) { data.append(contentsOf: $0) }
        let pcm = samples.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) }
        pcm.withUnsafeBytes { data.append(contentsOf: $0) }
        let temporary = file + ".\(getpid()).tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, file) == 0 else {
            unlink(temporary)
            throw PCMCacheError("cannot write cache file \(file): \(String(cString: strerror(errno)))")
        }
    }
}

/// An audio cache problem (the cache folder or a cache file), naming the file.
public struct PCMCacheError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Decoded tracks on disk, so no epoch and no second run decodes a file again.
///
/// A cache file's name is a hash of the file's path, size, modification time and the sample rate, so
/// a changed file simply misses the cache and is decoded afresh.
public final class PCMCache: @unchecked Sendable {
    public let folder: String
    public let sampleRate: Int
    private let decoder: AudioDecoder
    private let lock = NSLock()
    private var open: [AudioTrack: PCMTrack] = [:]

    /// The default folder: `$XDG_CACHE_HOME/tunescore/pcm` (or `~/.cache/tunescore/pcm`).
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        (XDGFolders(environment: environment).cache as NSString).appendingPathComponent("pcm")
    }

    public init(folder: String = PCMCache.defaultFolder(), sampleRate: Int) throws {
        self.folder = folder
        self.sampleRate = sampleRate
        decoder = AudioDecoder(targetSampleRate: sampleRate)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw PCMCacheError("cannot create the audio cache folder \(folder): \(error.localizedDescription)")
        }
    }

    /// The decoded track, from the cache or decoded now.
    /// - Throws: `AudioFileError` when the file cannot be decoded, `PCMCacheError` for cache trouble.
    public func track(_ track: AudioTrack) throws -> PCMTrack {
        if let hit = lock.withLock({ open[track] }) { return hit }
        let file = cacheFile(for: track)
        let pcm: PCMTrack
        if let cached = try? PCMTrack(mapping: file) {
            pcm = cached
        } else {
            let decoded = try decoder.decode(path: track.path)
            try PCMTrack.write(decoded.samples, sampleRate: sampleRate, to: file)
            pcm = try PCMTrack(mapping: file)
        }
        lock.withLock { open[track] = pcm }
        return pcm
    }

    /// Drops `tracks` from the cache (their mappings and files): for audio decoded only to be scored once.
    public func evict(_ tracks: [AudioTrack]) {
        lock.withLock { for track in tracks { open[track] = nil } }
        for track in tracks { unlink(cacheFile(for: track)) }
    }

    /// Whether `track` is already decoded on disk.
    public func contains(_ track: AudioTrack) -> Bool {
        access(cacheFile(for: track), R_OK) == 0
    }

    func cacheFile(for track: AudioTrack) -> String {
        var hasher = StableHasher()
        hasher.combine(track.path.bytes)
        hasher.combine(track.size)
        hasher.combine(track.modificationTimeNs)
        hasher.combine(Int64(sampleRate))
        return (folder as NSString).appendingPathComponent(String(format: "%016llx.pcm", hasher.value))
    }
}

/// FNV-1a, 64 bit: a hash that is the same in every process (Swift's `Hasher` is seeded per process).
struct StableHasher {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func combine(_ bytes: [UInt8]) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        combine(Int64(bytes.count))
    }

    mutating func combine(_ number: Int64) {
        withUnsafeBytes(of: number.littleEndian) { raw in
            for byte in raw { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
    }
}
