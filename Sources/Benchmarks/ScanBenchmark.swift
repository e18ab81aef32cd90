import Dispatch
import Foundation
import LibraryScanner
import Model

/// Library-scale scanning: builds a library of `files` copies (of the files of `from`, cycling through them, or of
/// sixteen generated two-second tones) in folders of 500, scans it into a fresh catalog, then scans it again
/// unchanged.
public enum ScanBenchmark {
    /// What `run` measured.
    public struct Report: Codable, Sendable {
        public var files: Int
        /// Distinct files the copies are made from.
        public var sourceFiles: Int
        /// Catalogued tracks per detected format, and failures.
        public var formats: [String: Int]
        public var failed: Int
        public var firstScanSeconds: Double
        public var filesPerSecond: Double
        /// The unchanged library scanned again (no file is read).
        public var rescanSeconds: Double
        public var databaseBytes: Int64
        /// The process's peak resident memory.
        public var peakRSSBytes: Int64
    }

    /// Builds and scans the library in a temporary folder, removed afterwards.
    public static func run(files: Int, from folders: [RawPath]) throws -> Report {
        try inWorkFolder("scan") { try run(files: files, from: folders, work: $0) }
    }

    /// Builds the library in `work` (copies, catalog and generated tones stay there).
    public static func run(files: Int, from folders: [RawPath], work: URL) throws -> Report {
        let library = work.appendingPathComponent("library")
        try FileManager.default.createDirectory(at: library, withIntermediateDirectories: true)
        let sources = folders.isEmpty ? try generatedTones(in: work.appendingPathComponent("tones"))
            : LibraryWalker().files(in: folders).files.map(\.path)
        guard !sources.isEmpty else { throw BenchmarkError(message: "no files below \(folders.map(\.displayString).joined(separator: ", "))") }
        for i in 0..<files {
            let source = sources[i % sources.count]
            let folder = library.appendingPathComponent("folder-\(i / 500)")
            if i % 500 == 0 { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            let name = "track-\(i)." + (source.lowercasedExtension ?? "audio")
            let target = folder.appendingPathComponent(name).path
            // Copies, not links: the walker visits a file (device and inode) once, however many names it has.
            try FileManager.default.copyItem(atPath: source.displayString, toPath: target)
        }
        let databasePath = work.appendingPathComponent("library.sqlite").path
        let catalog = try TrackCatalog(path: databasePath)
        let root = RawPath(library.path)
        let start = DispatchTime.now()
        let summary = try LibraryScan().scan(folders: [root], catalog: catalog)
        let first = seconds(since: start)
        let again = DispatchTime.now()
        _ = try LibraryScan().scan(folders: [root], catalog: catalog)
        let rescan = seconds(since: again)
        let tracks = try catalog.tracks()
        var formats = Dictionary(grouping: tracks.compactMap { $0.format?.rawValue }, by: { $0 }).mapValues(\.count)
        formats["failed"] = summary.failed
        let size = ["", "-wal", "-shm"].compactMap { try? FileManager.default.attributesOfItem(atPath: databasePath + $0)[.size] as? Int64 }
            .reduce(0, +)
        return Report(files: files, sourceFiles: sources.count, formats: formats, failed: summary.failed,
                      firstScanSeconds: first, filesPerSecond: Double(files) / max(first, 1e-9), rescanSeconds: rescan,
                      databaseBytes: size, peakRSSBytes: ProcessMemory.peakResidentBytes())
    }

    /// Sixteen two-second 16 kHz mono WAV tones of different pitches.
    private static func generatedTones(in folder: URL) throws -> [RawPath] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try (0..<16).map { k in
            let rate = 16_000, count = 2 * rate
            var bytes = [UInt8]()
            func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
            bytes += Array("RIFF".utf8); append(UInt32(36 + 2 * count)); bytes += Array("WAVEfmt ".utf8)
            append(UInt32(16)); append(UInt16(1)); append(UInt16(1)); append(UInt32(rate)); append(UInt32(2 * rate))
            append(UInt16(2)); append(UInt16(16)); bytes += Array("data".utf8); append(UInt32(2 * count))
            for i in 0..<count { append(Int16(8000 * sin(2 * Double.pi * (220 + 40 * Double(k)) * Double(i) / Double(rate)))) }
            let url = folder.appendingPathComponent("tone-\(k).wav")
            try Data(bytes).write(to: url)
            return RawPath(url.path)
        }
    }
}
