import Foundation
import LibraryScanner
import Model
import TestSupport

extension WAVFile {
    /// Writes `name` in `folder`: a `seconds`-long 44.1 kHz stereo tone (the right channel inverted at half level, so
    /// mixing down matters), and returns it as the track a scan would find, in `group`.
    public static func toneTrack(_ name: String, in folder: URL, seconds: Double, frequency: Double = 440,
                                 group: String? = nil) throws -> AudioTrack {
        let path = folder.appendingPathComponent(name).path
        let left = Signals.tone(frequency: frequency, seconds: seconds, sampleRate: 44100)
        try write(channels: [left, left.map { -$0 * 0.5 }], sampleRate: 44100, to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mtime = (attributes[.modificationDate] as! Date).timeIntervalSince1970
        return AudioTrack(path: RawPath(path), size: Int64(attributes[.size] as! Int), modificationTimeNs: Int64(mtime * 1e9),
                          title: name, group: group)
    }
}
