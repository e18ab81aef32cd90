import Features
import Foundation
import ModelTestSupport
import TestSupport
import XCTest
@testable import Model

/// Data-parallel training over c10d/Gloo on 127.0.0.1, each rank on a thread of its own (`runOnRanks`).
final class DistributedTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory()
        TorchRuntime.configureThreads()
    }

    // MARK: - The epoch plan

    func testAloneThePlanIsPlainSeededBatches() {
        let plan = EpochPlan(count: 10, batchSize: 4, seed: 3)
        let batches = plan.batches(epoch: 0)
        XCTAssertEqual(batches.map(\.items.count), [4, 4, 2])
        XCTAssertEqual(Set(batches.flatMap(\.items)), Set(0..<10))
        XCTAssertEqual(batches.map(\.firstIndex), [0, 0, 0])
        XCTAssertEqual(batches.map(\.gradientWeight), [1, 1, 1])
        XCTAssertNotEqual(plan.batches(epoch: 1).flatMap(\.items), batches.flatMap(\.items), "each epoch has its own order")
    }

    func testRankShardsAreDisjointAndTogetherAreTheBatchOfOneProcessWithTwiceTheBatchSize() {
        let single = EpochPlan(count: 22, batchSize: 6, seed: 5).batches(epoch: 2)
        let ranks = (0..<2).map { EpochPlan(count: 22, batchSize: 3, seed: 5, rank: $0, worldSize: 2).batches(epoch: 2) }
        XCTAssertEqual(ranks[0].count, single.count)
        XCTAssertEqual(ranks[1].count, single.count)
        for (step, whole) in single.enumerated() {
            let (a, b) = (ranks[0][step], ranks[1][step])
            XCTAssertEqual(a.items + b.items, whole.items, "step \(step): rank 0's shard, then rank 1's, is the whole batch in order")
            XCTAssertTrue(Set(a.items).isDisjoint(with: b.items))
            XCTAssertEqual(a.firstIndex, 0)
            XCTAssertEqual(b.firstIndex, a.items.count, "rank 1 derives its items' generators where rank 0's end")
            XCTAssertEqual(a.globalCount, whole.items.count)
            XCTAssertEqual(a.gradientWeight, Double(a.items.count) * 2 / Double(whole.items.count), accuracy: 1e-12)
        }
        // The last global batch holds 4 items: 2 each.
        XCTAssertEqual(ranks.map { $0.last!.items.count }, [2, 2])
    }

    func testAFinalGlobalBatchTooSmallForEveryRankIsLeftOut() {
        // 7 items, 3 per rank, 3 ranks: one short global batch of 7, split 2/2/3.
        let plans = (0..<3).map { EpochPlan(count: 7, batchSize: 3, seed: 1, rank: $0, worldSize: 3) }
        XCTAssertEqual(plans.map { $0.batches(epoch: 0).map(\.items.count) }, [[2], [2], [3]])
        // 10 items, 3 per rank, 3 ranks: a full batch of 9 and one item left over, which no rank can share.
        let uneven = (0..<3).map { EpochPlan(count: 10, batchSize: 3, seed: 1, rank: $0, worldSize: 3) }
        XCTAssertEqual(uneven.map { $0.batchesPerEpoch }, [1, 1, 1])
        XCTAssertEqual(Set(uneven.flatMap { $0.batches(epoch: 0).flatMap(\.items) }).count, 9)
    }

    // MARK: - Launch variables

    func testLaunchVariablesAreReadLikeTorchrunSetsThem() throws {
        XCTAssertNil(try Rendezvous.from(environment: [:]), "without them a process trains alone")
        let rendezvous = try Rendezvous.from(environment: ["RANK": "1", "WORLD_SIZE": "4", "MASTER_ADDR": "10.0.0.2", "MASTER_PORT": "29500",
                                                           "LOCAL_RANK": "0"])
        XCTAssertEqual(rendezvous, Rendezvous(rank: 1, worldSize: 4, masterAddress: "10.0.0.2", masterPort: 29500, localRank: 0))
        XCTAssertThrowsError(try Rendezvous.from(environment: ["RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "x"])) { error in
            XCTAssertTrue("\(error)".contains("MASTER_PORT is not set"), "\(error)")
        }
        XCTAssertThrowsError(try Rendezvous.from(environment: ["RANK": "2", "WORLD_SIZE": "2", "MASTER_ADDR": "x", "MASTER_PORT": "1"])) { error in
            XCTAssertTrue("\(error)".contains("RANK=2"), "\(error)")
        }
        XCTAssertThrowsError(try Rendezvous.from(environment: ["RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "x", "MASTER_PORT": "http"])) { error in
            XCTAssertTrue("\(error)".contains("MASTER_PORT=http"), "\(error)")
        }
    }

    // MARK: - Groups on 127.0.0.1

    /// Trains `box`'s networks, one per rank, on a group of two up to epoch `epochs` (3 items per rank and step,
    /// checkpoints in `folder`).
    private func trainPair(_ box: NetworkBox, source: SyntheticSource, epochs: Int, resume: Bool,
                           folder: URL) throws -> [Result<TrainingResult, Error>] {
        let port = try freePort()
        return runOnRanks(2) { rank in
            let group = try joinPair(rank: rank, port: port, timeout: 30)
            return try Trainer(network: box.networks[rank], settings: Self.settings(batchSize: 3, epochs: epochs, checkpoints: folder),
                               configJSON: "{}", group: group).run(train: source, validation: Optional<SyntheticSource>.none,
                                                                   resume: resume) { _ in }
        }
    }

    private static func settings(batchSize: Int, epochs: Int, loss: LossWeights = LossWeights(), optimizer: Optimizer.Kind = .adamw,
                                 learningRate: Double = 1e-3, checkpoints: URL) -> TrainingSettings {
        TrainingSettings(epochs: epochs, batchSize: batchSize, learningRate: learningRate, optimizer: optimizer, usesCosineSchedule: false,
                         warmupEpochs: 0, weightDecay: 1e-4, momentum: 0.9, shifts: 2, loss: loss, seed: 11,
                         saveCheckpointEvery: 1, evaluateEvery: 0, checkpointFolder: checkpoints, dataThreads: 1)
    }

    func testTwoRanksEndWithIdenticalParameters() throws {
        let port = try freePort(), folder = self.folder!
        // Built one after another from libtorch's one generator: the two start with different weights.
        TorchRuntime.seed(3)
        let networks = [try CSINetwork(spec: tinySpec()), try CSINetwork(spec: tinySpec())]
        let before = networks.map(\.parameterChecksum)
        XCTAssertNotEqual(before[0], before[1])
        let box = NetworkBox(networks)
        let results = runOnRanks(2) { rank -> TrainingResult in
            let group = try joinPair(rank: rank, port: port, timeout: 30)
            let trainer = try Trainer(network: box.networks[rank], settings: Self.settings(batchSize: 3, epochs: 2, checkpoints: folder),
                                      configJSON: "{}", group: group)
            return try trainer.run(train: SyntheticSource(count: 12), validation: SyntheticSource(count: 4, seed: 9), resume: false) { _ in }
        }
        let finished = try results.map { try $0.get() }
        XCTAssertEqual(finished.map(\.worldSize), [2, 2])
        XCTAssertEqual(finished.map(\.rank), [0, 1])
        XCTAssertEqual(finished.map(\.steps), [4, 4], "12 items in global batches of 2 x 3: 2 steps an epoch")
        XCTAssertEqual(finished[0].parameterChecksum, finished[1].parameterChecksum)
        XCTAssertEqual(finished[0].parameterChecksum, networks[1].parameterChecksum)
        XCTAssertFalse(before.contains(finished[0].parameterChecksum), "the ranks trained")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("last.pt").path), "rank 0 writes checkpoints")
    }

    func testTwoRanksOfBatchBFollowOneProcessOfBatch2B() throws {
        // The shift loss is a mean over items, so averaging the ranks' gradients is the gradient of the whole batch;
        // what still differs is BatchNorm, whose statistics each rank takes over its own half. With 8 items a rank
        // (32 inputs) that moves the losses by well under 1 % over these steps; with 2 items a rank (8 inputs of two
        // patterns) by up to 15 % by the third step, so the batches here are not smaller.
        let loss = LossWeights(similarity: 0, shift: 1)
        let source = SyntheticSource(count: 64)
        TorchRuntime.seed(21)
        let alone = try CSINetwork(spec: tinySpec())
        var single: [Double] = []
        _ = try Trainer(network: alone, settings: Self.settings(batchSize: 16, epochs: 1, loss: loss, optimizer: .sgd, learningRate: 0.01, checkpoints: folder.appendingPathComponent("single")),
                        configJSON: "{}").run(train: source, validation: Optional<SyntheticSource>.none, resume: false) { event in
            if case .step(let report) = event { single.append(report.loss.total) }
        }
        TorchRuntime.seed(21)
        let box = NetworkBox([try CSINetwork(spec: tinySpec()), try CSINetwork(spec: tinySpec())])
        let port = try freePort(), folder = self.folder!
        let recorded = Locked<[Double]?>(nil)
        let results = runOnRanks(2) { rank -> Void in
            let group = try joinPair(rank: rank, port: port, timeout: 30)
            var losses: [Double] = []
            _ = try Trainer(network: box.networks[rank], settings: Self.settings(batchSize: 8, epochs: 1, loss: loss, optimizer: .sgd, learningRate: 0.01, checkpoints: folder.appendingPathComponent("pair")),
                            configJSON: "{}", group: group).run(train: source, validation: Optional<SyntheticSource>.none, resume: false) { event in
                if case .step(let report) = event { losses.append(report.loss.total) }
            }
            if rank == 0 { recorded.withLock { $0 = losses } }
        }
        for result in results { try result.get() }
        let pair = try XCTUnwrap(recorded.value, "rank 0 recorded its losses")
        XCTAssertEqual(single.count, 4)
        XCTAssertEqual(pair.count, 4, "rank 0 reports the ranks' mean loss of each of the 4 steps")
        for (step, (a, b)) in zip(single, pair).enumerated() {
            XCTAssertEqual(a, b, accuracy: 0.02 * a, "step \(step + 1): one process \(a), two ranks \(b)")
        }
        XCTAssertEqual(box.networks[0].parameterChecksum, box.networks[1].parameterChecksum)
    }

    func testATwoRankRunResumesAloneAndAloneRunResumesOnTwoRanks() throws {
        let folder = self.folder!
        let source = SyntheticSource(count: 12)
        // Epoch 1 on two ranks (2 steps of 2 x 3 items).
        TorchRuntime.seed(5)
        let pair = NetworkBox([try CSINetwork(spec: tinySpec()), try CSINetwork(spec: tinySpec())])
        let first = try trainPair(pair, source: source, epochs: 1, resume: false, folder: folder)
        XCTAssertEqual(try first.map { try $0.get().steps }, [2, 2])
        // Epoch 2 alone: 4 steps of 3 items, counted on from epoch 1's end.
        let alone = try Trainer(network: try CSINetwork(spec: tinySpec()), settings: Self.settings(batchSize: 3, epochs: 2, checkpoints: folder),
                                configJSON: "{}").run(train: source, validation: Optional<SyntheticSource>.none, resume: true) { _ in }
        XCTAssertEqual(alone.epochsCompleted, 2)
        XCTAssertEqual(alone.steps, 8, "the step follows from the epoch at the new world size: 2 epochs x 4 steps")
        // Epoch 3 on two ranks again, both from the same last.pt.
        let again = NetworkBox([try CSINetwork(spec: tinySpec()), try CSINetwork(spec: tinySpec())])
        let third = try trainPair(again, source: source, epochs: 3, resume: true, folder: folder)
        let results = try third.map { try $0.get() }
        XCTAssertEqual(results.map(\.epochsCompleted), [3, 3])
        XCTAssertEqual(results.map(\.steps), [6, 6], "3 epochs x 2 steps of 2 x 3 items")
        XCTAssertEqual(results[0].parameterChecksum, results[1].parameterChecksum)
        XCTAssertEqual(results[0].modelID, alone.modelID, "the same run, continued")
    }

    func testRanksWithDifferentConfigsAreRefusedAtStart() throws {
        let port = try freePort()
        let results = runOnRanks(2) { rank -> ProcessGroup in
            try ProcessGroup(Rendezvous(rank: rank, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port),
                             configHash: ProcessGroup.configHash(rank == 0 ? "{\"epochs\": 1}" : "{\"epochs\": 2}"), timeout: 20)
        }
        for (rank, result) in results.enumerated() {
            XCTAssertThrowsError(try result.get(), "rank \(rank)") { error in
                guard let error = error as? DistributedError else { return XCTFail("rank \(rank): \(error)") }
                XCTAssertTrue(error.isStartError)
                XCTAssertTrue("\(error)".contains("config differs"), "rank \(rank): \(error)")
            }
        }
    }

    func testAStoreNobodyHostsIsAStartErrorNamingTheAddress() throws {
        let port = try freePort()
        XCTAssertThrowsError(try ProcessGroup(Rendezvous(rank: 1, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port),
                                              configHash: "x", timeout: 2)) { error in
            guard let error = error as? DistributedError else { return XCTFail("\(error)") }
            XCTAssertTrue(error.isStartError)
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(port)"), "\(error)")
        }
    }

    func testARankThatLeavesMakesItsPeerFailNamingIt() throws {
        let port = try freePort()
        let results = runOnRanks(2) { rank -> String in
            let group = try joinPair(rank: rank, port: port, timeout: 20)
            _ = try group.sum([1])
            if rank == 1 { return "left" }  // its group closes its connections and stops its heartbeat, as a killed process's would
            Thread.sleep(forTimeInterval: 1)
            _ = try group.sum([1])
            return "not reached"
        }
        XCTAssertEqual(try results[1].get(), "left")
        XCTAssertThrowsError(try results[0].get()) { error in
            guard case DistributedError.peerLost(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("lost rank 1"), message)
        }
    }
}

/// Networks handed to rank threads (each rank drives only its own).
private final class NetworkBox: @unchecked Sendable {
    let networks: [CSINetwork]
    init(_ networks: [CSINetwork]) { self.networks = networks }
}
