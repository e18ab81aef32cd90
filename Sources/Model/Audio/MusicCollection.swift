import Dispatch
import Foundation
import LibraryScanner

/// A file that could not be used, and why (the run goes on without it).
public struct SkippedFile: Sendable, CustomStringConvertible {
    public var path: RawPath
    public var reason: String
    public var description: String { "\(path.displayString): \(reason)" }
}

/// Finding audio tracks in folders and decoding them into the PCM cache.
public enum MusicCollection {
    /// Every audio file below `folders` (recognised by content), with its tags, in walk order.
    /// Files that are not audio or cannot be opened are returned as skipped.
    public static func tracks(in folders: [RawPath], group: String? = nil) -> (tracks: [AudioTrack], skipped: [SkippedFile]) {
        let (files, failures) = LibraryWalker().files(in: folders)
        var skipped = failures.map { SkippedFile(path: $0.path, reason: "\($0.call): \($0.message)") }
        var tracks: [AudioTrack] = []
        let tagReader = TagReader()
        for file in files {
            do {
                let format = try AudioFormat.detect(path: file.path)
                let tags = try? tagReader.read(path: file.path, format: format)
                tracks.append(AudioTrack(path: file.path, size: file.size, modificationTimeNs: file.modificationTimeNs,
                                         title: tags?.title, artist: tags?.artist, album: tags?.album, group: group))
            } catch {
                // Non-audio files in a music folder (cover art, playlists) are expected; say so only for
                // files whose extension claims to be audio.
                if let ext = file.path.lowercasedExtension, AudioFormat.audioExtensions.contains(ext) {
                    skipped.append(SkippedFile(path: file.path, reason: "\(error)"))
                }
            }
        }
        return (tracks, skipped)
    }

    /// Brings `catalog` up to date with `folders` (incremental: unchanged files are not read again) and
    /// returns their usable tracks with tags; `progress` sees the scan.
    public static func scanned(_ folders: [RawPath], catalog: TrackCatalog, group: String? = nil,
                               progress: (ScanProgress) -> Void = { _ in }) throws -> (tracks: [AudioTrack], summary: ScanSummary) {
        let summary = try LibraryScan().scan(folders: folders, catalog: catalog, progress: progress)
        let tracks = try catalog.tracks(under: folders.map(\.absolute)).map { AudioTrack($0, group: group) }
        return (tracks, summary)
    }

    /// Tracks of a folder with one sub-folder per style (group = the sub-folder's name), styles sorted.
    public static func styles(in root: RawPath) throws -> [String: [AudioTrack]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: root.displayString)
            .filter { !$0.hasPrefix(".") }
            .filter { name in
                var isFolder: ObjCBool = false
                return FileManager.default.fileExists(atPath: root.appending(name).displayString, isDirectory: &isFolder) && isFolder.boolValue
            }
        var result: [String: [AudioTrack]] = [:]
        for name in names { result[name] = tracks(in: [root.appending(name)], group: name).tracks }
        return result
    }

    /// Decodes every track into `cache` on `threads` threads, reporting each finished track.
    /// Tracks that cannot be decoded are skipped (with their reason); the order of the rest is kept.
    public static func decode(_ tracks: [AudioTrack], cache: PCMCache, threads: Int,
                              progress: @Sendable (Int, Int) -> Void = { _, _ in })
        -> (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]) {
        decodeEach(tracks, threads: threads, progress: progress) { try cache.track($0) }
    }

    /// Decodes only the excerpts `plan` picks of every track (given its length in samples), in memory, on `threads`
    /// threads: scoring's way, which reads a third of a typical track and writes nothing to disk.
    public static func decodeExcerpts(_ tracks: [AudioTrack], decoder: AudioDecoder, excerptLength: Int, threads: Int,
                                      plan: @escaping @Sendable (Int) -> [Int])
        -> (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]) {
        decodeEach(tracks, threads: threads) { track in
            PCMTrack(excerpts: try decoder.decodeExcerpts(path: track.path, length: excerptLength, plan: plan))
        }
    }

    /// Runs `decodeOne` on every track on `threads` threads; failures become skipped files with their reason.
    private static func decodeEach(_ tracks: [AudioTrack], threads: Int, progress: @Sendable (Int, Int) -> Void = { _, _ in },
                                   decodeOne: @escaping @Sendable (AudioTrack) throws -> PCMTrack)
        -> (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]) {
        let done = LockedArray<Int>(repeating: 0, count: 1)
        let results = parallelMap(tracks.count, threads: threads) { i in
            defer { progress(done.increment(0), tracks.count) }
            return Result { try decodeOne(tracks[i]) }
        }
        var kept: [AudioTrack] = [], pcm: [PCMTrack] = [], skipped: [SkippedFile] = []
        for (track, result) in zip(tracks, results) {
            switch result {
            case .success(let decoded):
                kept.append(track)
                pcm.append(decoded)
            case .failure(let error):
                skipped.append(SkippedFile(path: track.path, reason: "\(error)"))
            }
        }
        return (kept, pcm, skipped)
    }
}

