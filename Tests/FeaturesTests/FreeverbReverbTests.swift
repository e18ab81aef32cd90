import Foundation
import TestSupport
import XCTest
@testable import Features

final class FreeverbReverbTests: XCTestCase {
    private let length = 43_740

    /// Tones, a chirp, noise and a stretch of silence: the reverb's tail shows in the silence.
    private func music() -> [Float] {
        var generator = SeededGenerator(seed: 12)
        return (0..<length).map { i -> Float in
            guard i < 30_000 else { return 0 }
            let t = Double(i) / 16_000
            return Float(0.3 * sin(2 * .pi * 220 * t) + 0.1 * sin(2 * .pi * 1760 * t) + 0.1 * sin(2 * .pi * (300 + 900 * t) * t))
                + 0.05 * generator.uniform(-1, 1)
        }
    }

    func testEqualsLibsoxsReverbOverTheParameterRange() throws {
        let signal = music()
        let peak = signal.map(abs).max()!
        for (reverberance, damping, roomScale) in [(0, 0, 0), (50, 50, 100), (99, 10, 70), (23, 99, 5), (99, 99, 99)] {
            let native = FreeverbReverb(reverberance: reverberance, damping: damping, roomScale: roomScale, sampleRate: 16_000)
                .reverberated(signal)
            let libsox = try SoxEffects.reverberated(
                signal, reverberance: reverberance, damping: damping, roomScale: roomScale, sampleRate: 16_000)
            XCTAssertEqual(native.count, length)
            let worst = zip(native, libsox).map { abs($0 - $1) }.max()!
            let label = "reverberance \(reverberance), damping \(damping), room \(roomScale)"
            XCTAssertLessThan(worst, peak * 1e-4, label)
            // The comparison must be of a reverb: the wet part is large next to that difference.
            let wet = zip(libsox, signal).map { abs($0 - $1) }.max()!
            XCTAssertGreaterThan(wet, worst * 100, label)
        }
    }

    func testItRingsOnAfterABurstAndLongerWithMoreReverberance() {
        let burst = Signals.sine(frequency: 500, count: 4000) + Array(repeating: 0, count: length - 4000)
        let short = FreeverbReverb(reverberance: 10, damping: 50, roomScale: 90, sampleRate: 16_000).reverberated(burst)
        let long = FreeverbReverb(reverberance: 90, damping: 50, roomScale: 90, sampleRate: 16_000).reverberated(burst)
        XCTAssertGreaterThan(Signals.rms(Array(long[5000..<8000])), 1e-3)
        XCTAssertGreaterThan(Signals.rms(Array(long[8000..<12_000])), 3 * Signals.rms(Array(short[8000..<12_000])))
    }

    func testDelaysFollowTheRoomScaleAndSampleRate() {
        let small = FreeverbReverb(reverberance: 50, damping: 50, roomScale: 0, sampleRate: 16_000)
        let large = FreeverbReverb(reverberance: 50, damping: 50, roomScale: 100, sampleRate: 16_000)
        let fast = FreeverbReverb(reverberance: 50, damping: 50, roomScale: 100, sampleRate: 44_100)
        XCTAssertEqual(fast.combDelays, [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617, 1128, 1176, 1289, 1344, 1434, 1479, 1569, 1605])
        XCTAssertEqual(fast.allpassDelays, [[556, 441, 341, 225], [544, 453, 329, 237]])
        XCTAssertEqual(large.combDelays[0], Int(1116 * 16_000 / 44_100.0 + 0.5))
        XCTAssertEqual(small.combDelays[0], Int(0.1 * 1116 * 16_000 / 44_100.0 + 0.5))
        XCTAssertEqual(small.allpassDelays, large.allpassDelays, "room scale leaves the allpasses alone")
        XCTAssertEqual(FreeverbReverb(reverberance: 0, damping: 0, roomScale: 0, sampleRate: 16_000).feedback, 0.3, accuracy: 1e-6)
        XCTAssertEqual(FreeverbReverb(reverberance: 100, damping: 100, roomScale: 0, sampleRate: 16_000).feedback, 0.98, accuracy: 1e-6)
    }

    func testShortAndEmptyInputs() {
        let reverb = FreeverbReverb(reverberance: 50, damping: 50, roomScale: 50, sampleRate: 16_000)
        XCTAssertEqual(reverb.reverberated([]), [])
        let impulse: [Float] = [1, 0, 0, 0, 0]
        XCTAssertEqual(reverb.reverberated(impulse), impulse, "no delay line is this short, so only the dry signal is out yet")
    }
}
