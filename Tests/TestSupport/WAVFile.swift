import Foundation

/// Writes 16-bit PCM WAV files: enough audio for the tests without another library.
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
}
