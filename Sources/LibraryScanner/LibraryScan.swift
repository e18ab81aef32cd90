import Foundation

/// Counts from one scan. `new`, `changed`, `failed` and `unchanged` do not overlap: together they are every
/// audio file found.
public struct ScanSummary: Sendable, Equatable {
    /// Files not in the catalog before, read without problems.
    public var new = 0
    /// Files whose size or modification time changed, read again without problems.
    public var changed = 0
    /// Files read in this scan (new or changed) that could not be used; their reasons are in the catalog.
    public var failed = 0
    /// Files the catalog already had at this size and modification time; not read.
    public var unchanged = 0
    /// Catalog rows below the scanned folders whose files are gone; deleted.
    public var removed = 0
    /// Files that are neither audio by content nor named like audio (covers, playlists, text); not catalogued.
    public var ignored = 0
    /// The ignored files read in this scan, with why (`tunescore scan --skipped`).
    public var skipped: [SkippedScanFile] = []
    /// Folders and links the walk could not read; files below them keep their catalog rows.
    public var unreadable: [WalkFailure] = []

    /// All counts zero.
    public init() {}
}

/// Where a scan is, for a progress display.
public struct ScanProgress: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Listing folders; `filesFound` grows.
        case walking
        /// Reading new and changed files; `filesRead` grows towards `filesToRead`.
        case reading
    }

    public let phase: Phase
    /// Regular files found so far (all of them once reading starts).
    public let filesFound: Int
    /// New or changed files that this scan reads.
    public let filesToRead: Int
    /// Of those, how many are read.
    public let filesRead: Int
    /// The last file reached, for display.
    public let currentPath: RawPath?
}

/// Brings a `TrackCatalog` up to date with folders of music: walks them, reads new and changed files (format,
/// length, tags; truncated or corrupt files are recorded with their reason) and removes rows of deleted files.
///
/// A file whose size and modification time (ns) match its row is not opened again.
public struct LibraryScan: Sendable {
    /// Recognises, measures and verifies each file.
    public let decoder: AudioDecoder
    /// Reads each usable file's tags.
    public let tagReader: TagReader
    /// Files read in parallel.
    public let concurrency: Int
    /// Files written per transaction.
    let batchSize = 32

    /// A scan reading `concurrency` files at a time (by default one per processor).
    public init(decoder: AudioDecoder = AudioDecoder(), tagReader: TagReader = TagReader(),
                concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.decoder = decoder
        self.tagReader = tagReader
        self.concurrency = max(1, concurrency)
    }

    /// Scans `folders` (files may be given too) into `catalog`, calling `progress` as it goes (from the calling
    /// thread).
    ///
    /// - Throws: only catalog errors (`DatabaseError`); unreadable files and folders are recorded, not thrown.
    public func scan(folders: [RawPath], catalog: TrackCatalog,
                     progress: (ScanProgress) -> Void = { _ in }) throws -> ScanSummary {
        let roots = folders.map(\.absolute)
        var summary = ScanSummary()
        let found = walk(roots, unreadable: &summary.unreadable, progress: progress)
        let known = try catalog.fingerprints(under: roots)
        var toRead: [WalkedFile] = []
        for file in found {
            if let fingerprint = known[file.path], fingerprint == Self.fingerprint(of: file) {
                summary.unchanged += 1
            } else {
                toRead.append(file)
            }
        }
        try read(toRead, known: known, into: catalog, summary: &summary, filesFound: found.count, progress: progress)
        let present = Set(found.map(\.path))
        let gone = known.keys.filter { path in
            !present.contains(path) && !summary.unreadable.contains { path.isInside($0.path) }
        }
        try catalog.remove(gone.sorted())
        summary.removed = gone.count
        return summary
    }

    /// Reads one file into a catalog row; nil when the file is neither audio nor named like audio (`reason` says why).
    func readTrack(_ file: WalkedFile, reason: inout String?) -> CatalogTrack? {
        var track = CatalogTrack(path: file.path, size: file.size, modificationTimeNs: file.modificationTimeNs,
                                 format: nil, tags: TrackTags(), duration: nil, failure: nil, scannedAt: Date())
        do {
            let info = try decoder.inspect(path: file.path)
            track.format = info.format
            track.duration = info.duration
            // Tags are a bonus: a stream the decoder reads is usable even when TagLib cannot parse its tags.
            track.tags = (try? tagReader.read(path: file.path, format: info.format)) ?? TrackTags()
            if track.tags.lacksNames {
                track.tags = track.tags.fillingIn(from: FFmpegTags.read(path: file.path))
            }
        } catch {
            let isContentProblem = error.origin == .content
                && (error.code == AudioFileError.ContentProblem.notAudio.rawValue
                    || error.code == AudioFileError.ContentProblem.empty.rawValue)
            let isNamedLikeAudio = file.path.lowercasedExtension.map(AudioFormat.audioExtensions.contains) ?? false
            if isContentProblem && !isNamedLikeAudio {
                reason = error.reason
                return nil
            }
            track.failure = error.reason
        }
        return track
    }

    private static func fingerprint(of file: WalkedFile) -> TrackFingerprint {
        TrackFingerprint(size: file.size, modificationTimeNs: file.modificationTimeNs,
                         scannerVersion: TrackCatalog.scannerVersion)
    }

    private func walk(_ roots: [RawPath], unreadable: inout [WalkFailure],
                      progress: (ScanProgress) -> Void) -> [WalkedFile] {
        var found: [WalkedFile] = []
        LibraryWalker().walk(roots, visit: { file in
            found.append(file)
            progress(ScanProgress(phase: .walking, filesFound: found.count, filesToRead: 0, filesRead: 0,
                                  currentPath: file.path))
        }, fail: { unreadable.append($0) })
        return found
    }

    /// Reads `files` in parallel batches, saving each batch in one transaction.
    private func read(_ files: [WalkedFile], known: [RawPath: TrackFingerprint], into catalog: TrackCatalog,
                      summary: inout ScanSummary, filesFound: Int, progress: (ScanProgress) -> Void) throws {
        var done = 0
        progress(ScanProgress(phase: .reading, filesFound: filesFound, filesToRead: files.count, filesRead: 0,
                              currentPath: nil))
        for batchStart in stride(from: 0, to: files.count, by: batchSize) {
            let batch = Array(files[batchStart..<min(batchStart + batchSize, files.count)])
            let results = parallelMap(batch.count, threads: concurrency) { i -> ReadResult in
                var reason: String?
                let track = readTrack(batch[i], reason: &reason)
                return ReadResult(track: track, ignoredBecause: reason)
            }
            try catalog.save(results.compactMap(\.track))
            for (file, result) in zip(batch, results) {
                count(result.track, isKnown: known[file.path] != nil, in: &summary)
                if let reason = result.ignoredBecause { summary.skipped.append(SkippedScanFile(path: file.path, reason: reason)) }
            }
            done += batch.count
            progress(ScanProgress(phase: .reading, filesFound: filesFound, filesToRead: files.count, filesRead: done,
                                  currentPath: batch.last?.path))
        }
    }

    private func count(_ track: CatalogTrack?, isKnown: Bool, in summary: inout ScanSummary) {
        guard let track else {
            summary.ignored += 1
            return
        }
        if !track.isUsable {
            summary.failed += 1
        } else if isKnown {
            summary.changed += 1
        } else {
            summary.new += 1
        }
    }

    /// What reading one file gave: a catalog row, or why it is not one.
    private struct ReadResult: Sendable {
        var track: CatalogTrack?
        var ignoredBecause: String?
    }
}

/// A file a scan read and left out of the catalog: neither audio by content nor named like audio.
public struct SkippedScanFile: Sendable, Equatable, CustomStringConvertible {
    public let path: RawPath
    public let reason: String
    public var description: String { "\(path.displayString): \(reason)" }
}

extension RawPath {
    /// The path made absolute against the working folder, without a trailing slash, so catalog rows do not
    /// depend on where a scan was started.
    public var absolute: RawPath {
        var bytes = self.bytes
        if bytes.first != UInt8(ascii: "/"), let cwd = RawPath.currentFolder() {
            bytes = cwd.appending(bytes).bytes
        }
        while bytes.count > 1 && bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return RawPath(bytes: bytes)
    }

    private static func currentFolder() -> RawPath? {
        guard let pointer = getcwd(nil, 0) else { return nil }
        defer { free(pointer) }
        return RawPath(bytes: Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer))))
    }
}
