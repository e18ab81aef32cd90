import Foundation
import TestSupport
import XCTest

/// Data-parallel training through the binary, ranks launched as torchrun launches them (or by `--nproc`), on
/// 127.0.0.1 with a tiny CIFAR-10 fixture.
extension CommandLineTests {
    /// A `cifar-10-batches-bin` of random images: 20 per batch file (2 of class 0 each), 20 test images.
    private func writeTinyCIFAR() throws -> String {
        let dir = folder.appendingPathComponent("cifar/cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var state: UInt64 = 7
        func records(_ count: Int) -> Data {
            var bytes = [UInt8]()
            for i in 0..<count {
                bytes.append(UInt8(i % 10))
                for _ in 0..<3072 {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    bytes.append(UInt8(truncatingIfNeeded: state >> 56))
                }
            }
            return Data(bytes)
        }
        for batch in 1...5 { try records(20).write(to: dir.appendingPathComponent("data_batch_\(batch).bin")) }
        try records(20).write(to: dir.appendingPathComponent("test_batch.bin"))
        return folder.appendingPathComponent("cifar").path
    }

    private func trainArguments(data: String, logDir: String, epochs: Int) -> [String] {
        ["train", "--set", "path_data=\(data)", "--set", "dataset_name=cifar10", "--set", "model_name=small_resnet", "--set", "model_scale=0",
         "--set", "epochs=\(epochs)", "--set", "batchsize=2", "--set", "val_size=0.2", "--set", "eval_test_step=1000",
         "--set", "duplication_factor=2", "--set", "log_dir=\(logDir)"]
    }

    /// Starts one rank of a group of `world` meeting at `port`.
    private func startRank(_ rank: Int, world: Int, port: Int, arguments: [String]) throws -> (Process, Pipe, Pipe) {
        try start(arguments, extraEnvironment: ["RANK": String(rank), "WORLD_SIZE": String(world), "MASTER_ADDR": "127.0.0.1",
                                                "MASTER_PORT": String(port), "TUNESCORE_THREADS": "1"])
    }

    /// A port from the range the kernel does not hand out on its own, varied per run.
    private func port() -> Int { 20_000 + Int.random(in: 0..<10_000) }

    func testNprocTwoRanksEndWithTheSameParameterChecksum() throws {
        let data = try writeTinyCIFAR()
        let run = try self.run(trainArguments(data: data, logDir: folder.appendingPathComponent("log").path, epochs: 1) + ["--nproc", "2"])
        XCTAssertEqual(run.status, 0, run.errors)
        // Rank 0's report is on standard output, rank 1's on standard error.
        func checksum(_ text: String, rank: Int) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix("rank \(rank) of worldSize 2: paramChecksum ") }.map { String($0.split(separator: " ").last!) }
        }
        let first = checksum(run.output, rank: 0), second = checksum(run.errors, rank: 1)
        XCTAssertNotNil(first, run.output)
        XCTAssertEqual(first, second, run.errors)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("log/best.pt").path), "rank 0 writes the checkpoints")
    }

    func testTrainLikedOnTwoRanksWritesOneModelAndBothRanksEndAlike() throws {
        let liked = folder.appendingPathComponent("liked")
        try FileManager.default.createDirectory(at: liked, withIntermediateDirectories: true)
        for i in 0..<5 {
            try WAVFile.write(channels: [Signals.tone(frequency: 300 + 37 * Double(i), seconds: 3, sampleRate: 22050)], sampleRate: 22050,
                              to: liked.appendingPathComponent("tone-\(i).wav").path)
        }
        let run = try self.run(["train", "--liked", "liked", "--name", "tones", "--db", "library.sqlite", "--set", "taste_score=blend",
                                "--set", "epochs=1", "--set", "excerpts_per_track=2", "--set", "epoch_items=0", "--set", "batchsize=2",
                                "--set", "eval_samples=1", "--set", "max_excerpts_per_track=2", "--nproc", "2"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.output.contains("model 'tones'"), run.output)
        let line = { (text: String, rank: Int) in
            text.split(separator: "\n").first { $0.hasPrefix("rank \(rank) of worldSize 2: paramChecksum ") }.map { String($0.split(separator: " ").last!) }
        }
        XCTAssertNotNil(line(run.output, 0), run.output)
        XCTAssertEqual(line(run.output, 0), line(run.errors, 1), run.errors)
        let model = folder.appendingPathComponent("data/tunescore/models/tones")
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("profile.json").path), "rank 0 writes the profile")
    }

    func testBenchGenresOnTwoRanksReportsOneChecksumFromEachRank() throws {
        for (style, base) in [("low", 200.0), ("high", 900.0)] {
            let dir = folder.appendingPathComponent("styles/\(style)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<6 {
                try WAVFile.write(channels: [Signals.tone(frequency: base + 37 * Double(i), seconds: 3, sampleRate: 22050)], sampleRate: 22050,
                                  to: dir.appendingPathComponent("\(style)-\(i).wav").path)
            }
        }
        let run = try self.run(["bench", "genres", "--data", "styles", "--liked", "low", "--json", "--nproc", "2", "--set", "taste_score=blend",
                                "--set", "epochs=1", "--set", "excerpts_per_track=2", "--set", "epoch_items=0", "--set", "batchsize=2",
                                "--set", "eval_samples=1", "--set", "max_excerpts_per_track=2", "--set", "log_dir=genres-log"])
        XCTAssertEqual(run.status, 0, run.errors)
        // Rank 0's full report on standard output, rank 1's RankReport as a JSON line on standard error.
        let leader = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any]
        let follower = try run.errors.split(separator: "\n").first { $0.hasPrefix("{") }
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? nil
        XCTAssertEqual(leader?["worldSize"] as? Int, 2, run.output)
        XCTAssertEqual(follower?["worldSize"] as? Int, 2, run.errors)
        XCTAssertEqual(follower?["rank"] as? Int, 1)
        XCTAssertNotNil(leader?["overall"], "rank 0 evaluates")
        let checksum = leader?["paramChecksum"] as? String
        XCTAssertNotNil(checksum)
        XCTAssertEqual(checksum, follower?["paramChecksum"] as? String)
    }

    func testAKilledRankMakesItsPeerExitNonZeroNamingIt() throws {
        let data = try writeTinyCIFAR(), port = port()
        let logDir = folder.appendingPathComponent("log")
        let arguments = trainArguments(data: data, logDir: logDir.path, epochs: 500)
        let rank0 = try startRank(0, world: 2, port: port, arguments: arguments)
        let rank1 = try startRank(1, world: 2, port: port, arguments: arguments)
        // Training is under way once rank 0 has written its first checkpoint.
        let started = Date()
        while !FileManager.default.fileExists(atPath: logDir.appendingPathComponent("best.pt").path) && rank0.0.isRunning {
            if Date().timeIntervalSince(started) > 120 { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertTrue(rank0.0.isRunning, "rank 0 must still be training")
        kill(rank1.0.processIdentifier, SIGKILL)
        _ = finish(rank1)
        // Guards against a hang only: the issue allows the survivor 120 s.
        let watchdog = DispatchWorkItem { if rank0.0.isRunning { kill(rank0.0.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        let survivor = finish(rank0)
        watchdog.cancel()
        XCTAssertNotEqual(survivor.status, 0)
        XCTAssertNotEqual(rank0.0.terminationReason, .uncaughtSignal, "rank 0 must exit on its own, not by the watchdog")
        XCTAssertTrue(survivor.errors.contains("lost rank 1"), survivor.errors)
    }

    func testRanksWithDifferentConfigsExitWith2() throws {
        let data = try writeTinyCIFAR(), port = port()
        let arguments = trainArguments(data: data, logDir: folder.appendingPathComponent("log").path, epochs: 1)
        let rank0 = try startRank(0, world: 2, port: port, arguments: arguments)
        let rank1 = try startRank(1, world: 2, port: port, arguments: arguments + ["--set", "lr=0.002"])
        for (rank, run) in [finish(rank0), finish(rank1)].enumerated() {
            XCTAssertEqual(run.status, 2, "rank \(rank): \(run.errors)")
            XCTAssertTrue(run.errors.contains("rank 1's config differs from rank 0's"), "rank \(rank): \(run.errors)")
        }
    }

    func testIncompleteLaunchVariablesExitWith2NamingTheMissingOne() throws {
        let data = try writeTinyCIFAR()
        let process = Process()
        process.executableURL = binary
        process.arguments = trainArguments(data: data, logDir: folder.appendingPathComponent("log").path, epochs: 1)
        var environment = ProcessInfo.processInfo.environment
        environment["RANK"] = "0"
        environment["WORLD_SIZE"] = "2"
        environment["MASTER_ADDR"] = "127.0.0.1"
        environment.removeValue(forKey: "MASTER_PORT")
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let run = finish((process, output, errors))
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.errors.contains("MASTER_PORT is not set"), run.errors)
    }
}
