import Foundation

/// Writes scalar curves (loss, learning rate, AUROC) to a TensorBoard event file,
/// `events.out.tfevents.<unix time>.<host>`, that `tensorboard --logdir` opens.
///
/// Each event is one TFRecord (length, masked CRC32C of the length, protobuf `Event`, masked CRC32C
/// of the data); the protobuf is encoded by hand, so no TensorFlow or protobuf library is needed.
/// Every write is flushed, so a crashed run keeps its curves. Safe to use from several threads.
public final class EventWriter: @unchecked Sendable {
    /// The event file's path.
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private let lock = NSLock()

    /// Creates `directory` if needed and starts a new event file in it with the version record.
    /// - Throws: `CocoaError` when the folder or file cannot be created.
    public init(directory: String, now: Date = Date()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        path = URL(fileURLWithPath: directory)
            .appendingPathComponent("events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host)").path
        guard let handle = fopen(path, "wb") else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        file = handle
        write(EventEncoding.versionEvent(wallTime: now.timeIntervalSince1970))
    }

    deinit { fclose(file) }

    /// Appends one scalar under `tag` (e.g. "train/loss") at `step`, and flushes.
    public func add(_ value: Double, tag: String, step: Int, wallTime: Date = Date()) {
        write(EventEncoding.scalarEvent(wallTime: wallTime.timeIntervalSince1970, step: Int64(step), tag: tag, value: Float(value)))
    }

    private func write(_ event: [UInt8]) {
        let record = EventEncoding.record(event)
        lock.lock()
        defer { lock.unlock() }
        _ = record.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        fflush(file)
    }
}

/// The byte-level pieces of the event format: TFRecord framing, CRC32C and the protobuf fields.
enum EventEncoding {
    /// Event { wall_time = 1; file_version = 3 } with file_version "brain.Event:2".
    static func versionEvent(wallTime: Double) -> [UInt8] {
        var out = [UInt8]()
        appendDouble(1, wallTime, to: &out)
        appendBytes(3, Array("brain.Event:2".utf8), to: &out)
        return out
    }

    /// Event { wall_time = 1; step = 2; summary = 5 { value = 1 { tag = 1; simple_value = 2 } } }.
    static func scalarEvent(wallTime: Double, step: Int64, tag: String, value: Float) -> [UInt8] {
        var summaryValue = [UInt8]()
        appendBytes(1, Array(tag.utf8), to: &summaryValue)
        appendKey(2, wireType: 5, to: &summaryValue)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { summaryValue += $0 }
        var summary = [UInt8]()
        appendBytes(1, summaryValue, to: &summary)
        var out = [UInt8]()
        appendDouble(1, wallTime, to: &out)
        appendKey(2, wireType: 0, to: &out)
        appendVarint(UInt64(bitPattern: step), to: &out)
        appendBytes(5, summary, to: &out)
        return out
    }

    /// One TFRecord: uint64 length (LE), masked CRC of the length bytes, the data, masked CRC of the data.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(data.count + 16)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { out += $0 }
        let lengthCRC = maskedCRC(out)
        withUnsafeBytes(of: lengthCRC.littleEndian) { out += $0 }
        out += data
        withUnsafeBytes(of: maskedCRC(data).littleEndian) { out += $0 }
        return out
    }

    /// TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay strong.
    static func maskedCRC<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        let crc = crc32c(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
    }

    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
    static func crc32c<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func appendKey(_ field: UInt64, wireType: UInt64, to out: inout [UInt8]) {
        appendVarint(field << 3 | wireType, to: &out)
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func appendDouble(_ field: UInt64, _ value: Double, to out: inout [UInt8]) {
        appendKey(field, wireType: 1, to: &out)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
    }

    static func appendBytes(_ field: UInt64, _ bytes: [UInt8], to out: inout [UInt8]) {
        appendKey(field, wireType: 2, to: &out)
        appendVarint(UInt64(bytes.count), to: &out)
        out += bytes
    }
}
