import Foundation
import LibraryScanner
import Model

/// Writes 16-bit PCM WAV files: enough audio for the music tests without another library.
public enum WAVFile {
    public static func write(channels: [[Float]], sampleRate: Int, to path: String) throws {
        let frames = channels[0].count, count = channels.count
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + frames * count * 2))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(1)); append(UInt16(count))
        append(UInt32(sampleRate)); append(UInt32(sampleRate * count * 2)); append(UInt16(count * 2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(frames * count * 2))
        for i in 0..<frames {
            for c in 0..<count { append(Int16(max(-32767, min(32767, channels[c][i] * 32767)))) }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    public static func tone(_ frequency: Double, seconds: Double, sampleRate: Int, amplitude: Float = 0.5) -> [Float] {
        (0..<Int(seconds * Double(sampleRate))).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
    }

    /// Writes `name` in `folder`: a `seconds`-long 44.1 kHz stereo tone (the right channel inverted at half level, so
    /// mixing down matters), and returns it as the track a scan would find, in `group`.
    public static func toneTrack(_ name: String, in folder: URL, seconds: Double, frequency: Double = 440,
                                 group: String? = nil) throws -> AudioTrack {
        let path = folder.appendingPathComponent(name).path
        let left = tone(frequency, seconds: seconds, sampleRate: 44100)
        try write(channels: [left, left.map { -$0 * 0.5 }], sampleRate: 44100, to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mtime = (attributes[.modificationDate] as! Date).timeIntervalSince1970
        return AudioTrack(path: RawPath(path), size: Int64(attributes[.size] as! Int), modificationTimeNs: Int64(mtime * 1e9),
                          title: name, group: group)
    }
}
