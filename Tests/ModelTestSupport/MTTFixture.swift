import Foundation
import Model
import TestSupport

/// A MagnaTagATune folder in miniature: annotations_final.csv in the real layout and one short audio file per
/// clip in the hex sub-folders. The "mp3" files hold WAV bytes; the decoder recognises content, not names.
public enum MTTFixture {
    /// Class tag columns in a shuffled order among unrelated tags, so columns must be found by name.
    public static let columns = ["clip_id", "guitar", "pop", "hard rock", "classic", "techno", "slow", "clasical", "synth", "rock",
                          "electro", "indian", "classical", "electric", "mp3_path"]

    public struct Row: Sendable {
        public var clipID: String
        public var tags: Set<String>
        public var mp3Path: String { "\(String(Int(clipID)! % 16, radix: 16))/artist-album-\(clipID)-0-29.mp3" }
    }

    /// Per class: its clip count and the tag sets its clips cycle through.
    public static let plan: [(MTTClass, Int, [Set<String>])] = [
        (.classical, 11, [["classical"], ["clasical"], ["classic", "slow"], ["classical", "classic"]]),
        (.techno, 10, [["techno"], ["synth"], ["electro"], ["electric", "synth"]]),
        (.rock, 12, [["rock", "guitar"], ["hard rock"], ["rock", "hard rock"]]),
        (.indian, 10, [["indian"]]),
        (.pop, 21, [["pop"]]),
    ]

    /// The kept clips in file order (classes interleaved), and the text of the csv with the extra rows:
    /// line 5 has two classes, line 9 none, line 13 a field too few, line 17 "x" in column pop.
    public static func make(quoted: Bool) -> (rows: [Row], csv: String) {
        var queues = plan.map { entry in (0..<entry.1).map { entry.2[$0 % entry.2.count] } }
        var rows: [Row] = []
        var next = 1000
        while queues.contains(where: { !$0.isEmpty }) {
            for index in queues.indices where !queues[index].isEmpty {
                rows.append(Row(clipID: String(next), tags: queues[index].removeFirst()))
                next += 1
            }
        }
        func quote(_ field: String) -> String { quoted ? "\"\(field)\"" : field }
        func line(_ row: Row, dropLast: Bool = false, badPop: Bool = false) -> String {
            var fields = columns.map { column -> String in
                switch column {
                case "clip_id": row.clipID
                case "mp3_path": row.mp3Path
                case "pop" where badPop: "x"
                default: row.tags.contains(column) ? "1" : "0"
                }
            }
            if dropLast { fields.removeLast() }
            return fields.map(quote).joined(separator: "\t")
        }
        var lines = [columns.map(quote).joined(separator: "\t")]
        for (index, row) in rows.enumerated() {
            lines.append(line(row))
            switch index {
            case 2: lines.append(line(Row(clipID: "2", tags: ["classical", "rock", "guitar"])))
            case 5: lines.append(line(Row(clipID: "3", tags: ["guitar", "slow"])))
            case 8: lines.append(line(Row(clipID: "4", tags: ["rock"]), dropLast: true))
            case 11: lines.append(line(Row(clipID: "5", tags: ["pop"]), badPop: true))
            default: break
            }
        }
        return (rows, lines.joined(separator: "\r\n") + "\r\n")
    }

    /// Writes the csv and a `seconds`-long 16 kHz tone per clip, except for `missing` clip ids.
    public static func write(to folder: URL, quoted: Bool = true, seconds: Double = 0.25, missing: Set<String> = []) throws -> [Row] {
        let (rows, csv) = make(quoted: quoted)
        try Data(csv.utf8).write(to: folder.appendingPathComponent("annotations_final.csv"))
        for (index, row) in rows.enumerated() where !missing.contains(row.clipID) {
            let file = folder.appendingPathComponent(row.mp3Path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let tone = Signals.tone(frequency: 200 + 20 * Double(index), seconds: seconds, sampleRate: 16000)
            try WAVFile.write(channels: [tone], sampleRate: 16000, to: file.path)
        }
        return rows
    }
}
