import Foundation
import TestSupport
import XCTest
@testable import Model

/// A minimal reader of what EventWriter writes, independent of its encoder: TFRecord frames with
/// their CRCs checked, and the few protobuf fields of Event.
private struct DecodedEvent {
    var wallTime: Double?
    var step: Int64 = 0
    var fileVersion: String?
    var tag: String?
    var value: Float?
}

private struct ProtobufReader {
    let bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position >= bytes.count }

    mutating func varint() -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    mutating func fixed(_ count: Int) -> UInt64 {
        var result: UInt64 = 0
        for i in 0..<count { result |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return result
    }

    mutating func field() -> (number: UInt64, wireType: UInt64) {
        let key = varint()
        return (key >> 3, key & 7)
    }

    mutating func lengthDelimited() -> [UInt8] {
        let length = Int(varint())
        defer { position += length }
        return Array(bytes[position..<(position + length)])
    }
}

private func decodeEvent(_ bytes: [UInt8]) -> DecodedEvent {
    var event = DecodedEvent()
    var reader = ProtobufReader(bytes: bytes)
    while !reader.isAtEnd {
        switch reader.field() {
        case (1, 1): event.wallTime = Double(bitPattern: reader.fixed(8))
        case (2, 0): event.step = Int64(bitPattern: reader.varint())
        case (3, 2): event.fileVersion = String(decoding: reader.lengthDelimited(), as: UTF8.self)
        case (5, 2):
            var summary = ProtobufReader(bytes: reader.lengthDelimited())
            XCTAssertEqual(summary.field().number, 1)
            var value = ProtobufReader(bytes: summary.lengthDelimited())
            while !value.isAtEnd {
                switch value.field() {
                case (1, 2): event.tag = String(decoding: value.lengthDelimited(), as: UTF8.self)
                case (2, 5): event.value = Float(bitPattern: UInt32(value.fixed(4)))
                case let other: XCTFail("unexpected summary value field \(other)"); return event
                }
            }
        case let other: XCTFail("unexpected event field \(other)"); return event
        }
    }
    return event
}

/// The records of a TFRecord file, failing the test on a bad CRC.
private func records(in data: [UInt8]) -> [[UInt8]] {
    var out = [[UInt8]]()
    var position = 0
    func little<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(data[offset + $1]) << (8 * $1) }
    }
    while position < data.count {
        let length = Int(little(UInt64.self, at: position))
        XCTAssertEqual(little(UInt32.self, at: position + 8), EventEncoding.maskedCRC(data[position..<(position + 8)]), "length CRC")
        let body = Array(data[(position + 12)..<(position + 12 + length)])
        XCTAssertEqual(little(UInt32.self, at: position + 12 + length), EventEncoding.maskedCRC(body), "data CRC")
        out.append(body)
        position += 16 + length
    }
    XCTAssertEqual(position, data.count)
    return out
}

final class EventWriterTests: XCTestCase {
    func testCRC32CKnownValue() {
        XCTAssertEqual(EventEncoding.crc32c(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(EventEncoding.crc32c([UInt8]()), 0)
    }

    func testRoundTrip() throws {
        let folder = try makeTemporaryDirectory().appendingPathComponent("logs/run")
        let writer = try EventWriter(directory: folder.path, now: Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertTrue(URL(fileURLWithPath: writer.path).lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        writer.add(2.5, tag: "train/loss", step: 1)
        writer.add(0.875, tag: "test/auroc", step: 300)
        writer.add(-1e-3, tag: "lr", step: 1 << 40)
        // Flushed after each write: readable before the writer goes away.
        let events = records(in: Array(try Data(contentsOf: URL(fileURLWithPath: writer.path)))).map(decodeEvent)
        XCTAssertEqual(events.count, 4)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1_700_000_000)
        XCTAssertEqual(events[1].tag, "train/loss")
        XCTAssertEqual(events[1].value, 2.5)
        XCTAssertEqual(events[1].step, 1)
        XCTAssertEqual(events[2].tag, "test/auroc")
        XCTAssertEqual(events[2].value, 0.875)
        XCTAssertEqual(events[2].step, 300)
        XCTAssertEqual(events[3].value, Float(-1e-3))
        XCTAssertEqual(events[3].step, 1 << 40)
        XCTAssertNotNil(events[3].wallTime)
    }
}
