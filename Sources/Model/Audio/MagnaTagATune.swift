import Foundation
import LibraryScanner
#if canImport(Glibc)
import Glibc
#endif

/// The five genres of the MagnaTagATune subset, in `target_class` order, with the tags that make each one.
public enum MTTClass: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case classical, techno, rock, indian, pop

    /// The class's name as reports and `--target-class` use it.
    public var name: String {
        switch self {
        case .classical: "classical"
        case .techno: "techno"
        case .rock: "rock"
        case .indian: "indian"
        case .pop: "pop"
        }
    }

    public var description: String { name }

    /// The tag columns of annotations_final.csv of which any one marks a clip as this class
    /// (the reference's synonyms, its misspelling "clasical" included).
    public var tags: [String] {
        switch self {
        case .classical: ["classical", "clasical", "classic"]
        case .techno: ["techno", "synth", "electro", "electric"]
        case .rock: ["rock", "hard rock"]
        case .indian: ["indian"]
        case .pop: ["pop"]
        }
    }

    /// The class called `name` (case-insensitive), or nil.
    public init?(name: String) {
        guard let found = MTTClass.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = found
    }
}

/// One clip of the subset: exactly one class's tags are set on it.
public struct MTTClip: Sendable, Hashable {
    public var clipID: String
    /// As written in the `mp3_path` column, relative to the data folder (e.g. `f/…-30-59.mp3`).
    public var mp3Path: String
    public var mttClass: MTTClass
    /// The line of annotations_final.csv it came from (1 = the header).
    public var line: Int

    public init(clipID: String, mp3Path: String, mttClass: MTTClass, line: Int) {
        self.clipID = clipID
        self.mp3Path = mp3Path
        self.mttClass = mttClass
        self.line = line
    }
}

/// A row of annotations_final.csv that could not be read; the row is skipped, the rest is used.
public struct MTTRowProblem: Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The column at fault, when one is.
    public var column: String?
    public var message: String

    public var description: String {
        "\(file):\(line)" + (column.map { ", column '\($0)'" } ?? "") + ": \(message); row skipped"
    }
}

/// A MagnaTagATune folder or annotation file that cannot be used at all.
public struct MTTError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }

    /// How the folder must look, appended to layout errors.
    static let layout = """
        a MagnaTagATune folder holds annotations_final.csv (tab-separated despite its name; a header row \
        with clip_id, one 0/1 column per tag and mp3_path) and the sub-folders 0…9 and a…f with the mp3 files \
        that mp3_path names (e.g. f/american_bach_soloists-….mp3)
        """
}

/// The 5-genre clips of annotations_final.csv, in file order.
public struct MTTAnnotations: Sendable {
    /// Clips with exactly one matching class, in file order.
    public var clips: [MTTClip]
    /// Data rows read (blank lines not counted, malformed rows counted).
    public var rowCount: Int
    /// Rows dropped because the tags of two or more classes are set.
    public var ambiguousCount: Int
    /// Rows dropped because no class's tag is set.
    public var untaggedCount: Int
    /// Rows skipped because they could not be read.
    public var problems: [MTTRowProblem]
    /// Class tags without a column in the header (they then match no clip).
    public var missingTagColumns: [String]

    /// Reads `path`.
    ///
    /// - Throws: `MTTError` when the file cannot be read or its header lacks `clip_id` or `mp3_path`.
    ///   A malformed data row is not an error: it lands in `problems`.
    public static func read(contentsOf path: String) throws -> MTTAnnotations {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MTTError("cannot read \(path); \(MTTError.layout)")
        }
        return try parse(data, fileName: path)
    }

    /// Parses the text of annotations_final.csv; `fileName` names it in messages.
    ///
    /// Fields are separated by tabs and may be quoted (`"1"`, `"f/x.mp3"`); columns are found by name.
    /// - Throws: `MTTError` naming the file, line 1 and the column when `clip_id` or `mp3_path` is missing.
    public static func parse(_ data: Data, fileName: String) throws -> MTTAnnotations {
        let bytes = [UInt8](data)
        var lines = splitLines(bytes)
        guard let headerIndex = lines.firstIndex(where: { !$0.range.isEmpty }) else {
            throw MTTError("\(fileName) is empty; \(MTTError.layout)")
        }
        let header = fields(of: bytes[lines[headerIndex].range]).map { String(decoding: $0, as: UTF8.self) }
        let headerLine = lines[headerIndex].number
        var columnOf: [String: Int] = [:]
        for (index, name) in header.enumerated() where columnOf[name] == nil { columnOf[name] = index }
        let missing = ["clip_id", "mp3_path"].filter { columnOf[$0] == nil }
        guard missing.isEmpty else {
            let found = header.count > 6 ? header.prefix(6).joined(separator: ", ") + ", …" : header.joined(separator: ", ")
            let tabs = header.count == 1 ? " (one column only: is it tab-separated?)" : ""
            throw MTTError("\(fileName):\(headerLine): header has no column '\(missing.joined(separator: "' or '"))'\(tabs); "
                           + "found \(header.count) columns: \(found); \(MTTError.layout)")
        }
        let clipColumn = columnOf["clip_id"]!, pathColumn = columnOf["mp3_path"]!
        let classColumns = MTTClass.allCases.map { mttClass in mttClass.tags.compactMap { tag in columnOf[tag].map { (tag, $0) } } }
        let missingTags = MTTClass.allCases.flatMap(\.tags).filter { columnOf[$0] == nil }

        var result = MTTAnnotations(clips: [], rowCount: 0, ambiguousCount: 0, untaggedCount: 0, problems: [],
                                    missingTagColumns: missingTags)
        lines.removeFirst(headerIndex + 1)
        rows: for line in lines where !line.range.isEmpty {
            result.rowCount += 1
            let row = fields(of: bytes[line.range])
            func problem(_ message: String, column: String? = nil) {
                result.problems.append(MTTRowProblem(file: fileName, line: line.number, column: column, message: message))
            }
            guard row.count == header.count else {
                problem("has \(row.count) fields, the header has \(header.count)")
                continue
            }
            let clipID = String(decoding: row[clipColumn], as: UTF8.self)
            let path = String(decoding: row[pathColumn], as: UTF8.self)
            if clipID.isEmpty { problem("is empty", column: "clip_id"); continue }
            if path.isEmpty { problem("is empty", column: "mp3_path"); continue }
            var matched: [MTTClass] = []
            for (mttClass, columns) in zip(MTTClass.allCases, classColumns) {
                var isSet = false
                for (tag, column) in columns {
                    guard let value = Int(String(decoding: row[column], as: UTF8.self)), value >= 0 else {
                        problem("expected 0 or 1, got '\(String(decoding: row[column], as: UTF8.self))'", column: tag)
                        continue rows
                    }
                    if value > 0 { isSet = true }
                }
                if isSet { matched.append(mttClass) }
            }
            switch matched.count {
            case 0: result.untaggedCount += 1
            case 1: result.clips.append(MTTClip(clipID: clipID, mp3Path: path, mttClass: matched[0], line: line.number))
            default: result.ambiguousCount += 1
            }
        }
        return result
    }

    /// Line ranges (without the line break, `\r` dropped) with 1-based line numbers.
    private static func splitLines(_ bytes: [UInt8]) -> [(range: Range<Int>, number: Int)] {
        var lines: [(range: Range<Int>, number: Int)] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            lines.append((start..<index, lines.count + 1))
            start = index + 1
        }
        if start < bytes.count { lines.append((start..<bytes.count, lines.count + 1)) }
        return lines.map { line in
            var end = line.range.upperBound
            if end > line.range.lowerBound && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            return (line.range.lowerBound..<end, line.number)
        }
    }

    /// Tab-separated fields; a field in double quotes loses them (`""` inside stands for one quote) and may hold tabs.
    private static func fields(of line: ArraySlice<UInt8>) -> [[UInt8]] {
        let quote = UInt8(ascii: "\""), tab = UInt8(ascii: "\t")
        var result: [[UInt8]] = [], field: [UInt8] = []
        var isQuoted = false, index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            if isQuoted {
                if byte == quote {
                    if index + 1 < line.endIndex && line[index + 1] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        isQuoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == tab {
                result.append(field)
                field = []
            } else if byte == quote && field.isEmpty {
                isQuoted = true
            } else {
                field.append(byte)
            }
            index += 1
        }
        result.append(field)
        return result
    }
}

/// The MagnaTagATune 5-genre subset of a data folder: the reference's train/test clips per class, and the
/// audio files found for them.
public struct MTTSubset: Sendable {
    public static let annotationsFileName = "annotations_final.csv"

    public var folder: String
    public var annotations: MTTAnnotations
    /// Per class, the first ceil(0.9 n) of its n clips in file order.
    public var train: [MTTClass: [MTTClip]]
    /// Per class, the clips after the training ones.
    public var test: [MTTClass: [MTTClip]]
    /// The audio file of each clip whose file exists, by `mp3Path`.
    public var tracks: [String: AudioTrack]
    /// Clips whose mp3 file is missing or unreadable; they are left out of every split.
    public var skipped: [SkippedFile]

    /// The training share of `count` clips: ceil(0.9 · count).
    public static func trainCount(of count: Int) -> Int { (9 * count + 9) / 10 }

    /// Reads `folder`/annotations_final.csv and finds the clips' mp3 files below `folder`.
    ///
    /// The split into train and test is made on the annotations, before files are looked for, so a missing
    /// file changes no other clip's side (the reference's split stays exact).
    /// - Throws: `MTTError` when the folder or the csv is missing (saying how the folder must look) or the
    ///   header is bad.
    public static func load(folder: String) throws -> MTTSubset {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw MTTError("no MagnaTagATune folder at \(folder); \(MTTError.layout)")
        }
        let csv = URL(fileURLWithPath: folder).appendingPathComponent(annotationsFileName).path
        guard FileManager.default.fileExists(atPath: csv) else {
            throw MTTError("\(folder) has no \(annotationsFileName); \(MTTError.layout)")
        }
        return MTTSubset(annotations: try MTTAnnotations.read(contentsOf: csv), folder: folder)
    }

    /// Splits `annotations` per class and looks for each clip's file below `folder`.
    public init(annotations: MTTAnnotations, folder: String) {
        self.folder = folder
        self.annotations = annotations
        let byClass = Dictionary(grouping: annotations.clips, by: \.mttClass)
        var train: [MTTClass: [MTTClip]] = [:], test: [MTTClass: [MTTClip]] = [:]
        for mttClass in MTTClass.allCases {
            let clips = byClass[mttClass] ?? []
            let count = MTTSubset.trainCount(of: clips.count)
            train[mttClass] = Array(clips.prefix(count))
            test[mttClass] = Array(clips.dropFirst(count))
        }
        self.train = train
        self.test = test
        var tracks: [String: AudioTrack] = [:], skipped: [SkippedFile] = []
        let root = RawPath(folder)
        for clip in annotations.clips where tracks[clip.mp3Path] == nil {
            let path = root.appending(clip.mp3Path)
            var info = stat()
            guard stat(path.displayString, &info) == 0 else {
                skipped.append(SkippedFile(path: path, reason: "clip \(clip.clipID) (line \(clip.line)): "
                                           + String(cString: strerror(errno))))
                continue
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                skipped.append(SkippedFile(path: path, reason: "clip \(clip.clipID) (line \(clip.line)): not a regular file"))
                continue
            }
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            tracks[clip.mp3Path] = AudioTrack(path: path, size: Int64(info.st_size), modificationTimeNs: mtime,
                                              title: clip.clipID, group: clip.mttClass.name)
        }
        self.tracks = tracks
        self.skipped = skipped
    }
}
