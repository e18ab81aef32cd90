import CTorch
import Foundation

/// Where a rank meets the others: the variables torchrun (and Slurm wrappers, Kubernetes operators) set.
public struct Rendezvous: Equatable, Sendable {
    /// This process's rank, 0 to `worldSize - 1` (RANK).
    public var rank: Int
    /// Ranks in the group (WORLD_SIZE).
    public var worldSize: Int
    /// Where rank 0 hosts the store (MASTER_ADDR, MASTER_PORT).
    public var masterAddress: String
    public var masterPort: Int
    /// The rank's index on its own machine (torchrun's LOCAL_RANK); informational on a CPU build.
    public var localRank: Int

    public init(rank: Int, worldSize: Int, masterAddress: String, masterPort: Int, localRank: Int? = nil) {
        self.rank = rank
        self.worldSize = worldSize
        self.masterAddress = masterAddress
        self.masterPort = masterPort
        self.localRank = localRank ?? rank
    }

    /// The variables torchrun sets.
    public static let variables = ["RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"]

    /// The rendezvous `environment` describes; nil when it sets none of `variables` (the process trains alone).
    /// Throws `DistributedError.invalidLaunch` naming the variable when only some are set or one is malformed.
    public static func from(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Rendezvous? {
        let present = variables.filter { environment[$0] != nil }
        if present.isEmpty { return nil }
        if let missing = variables.first(where: { environment[$0] == nil }) {
            throw DistributedError.invalidLaunch("\(missing) is not set, but \(present.joined(separator: ", ")) \(present.count == 1 ? "is" : "are"): a distributed launch sets all of \(variables.joined(separator: ", "))")
        }
        func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int {
            let text = environment[name] ?? ""
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                throw DistributedError.invalidLaunch("\(name)=\(text) is not a whole number in \(range.lowerBound)-\(range.upperBound)")
            }
            return value
        }
        let world = try integer("WORLD_SIZE", in: 1...65_536)
        let rank = try integer("RANK", in: 0...(world - 1))
        let port = try integer("MASTER_PORT", in: 1...65_535)
        let local = environment["LOCAL_RANK"] == nil ? rank : try integer("LOCAL_RANK", in: 0...65_535)
        let address = environment["MASTER_ADDR"]!.trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty else { throw DistributedError.invalidLaunch("MASTER_ADDR is empty") }
        return Rendezvous(rank: rank, worldSize: world, masterAddress: address, masterPort: port, localRank: local)
    }
}

/// Why data-parallel training could not start or had to stop.
public enum DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The launch variables are incomplete or malformed.
    case invalidLaunch(String)
    /// The group could not form: the store is unreachable, the port taken, a rank never came, or the ranks' configs differ.
    case startFailed(String)
    /// A rank died or stopped answering during training; the message names it.
    case peerLost(String)

    public var description: String {
        switch self {
        case .invalidLaunch(let message): "distributed launch: \(message)"
        case .startFailed(let message): "distributed start: \(message)"
        case .peerLost(let message): "distributed training stopped: \(message)"
        }
    }

    /// True for the errors found before any training (a launch or configuration problem: exit status 2).
    public var isStartError: Bool {
        if case .peerLost = self { return false }
        return true
    }
}

/// A data-parallel process group: libtorch's c10d with the Gloo backend, met through a TCPStore that rank 0 hosts.
///
/// Every rank must call the collectives in the same order. A collective whose peer died fails with
/// `DistributedError.peerLost` naming the lost rank: at once when its connection closes, after `timeout` seconds
/// when it falls silent.
public final class ProcessGroup: @unchecked Sendable {
    let handle: OpaquePointer
    /// This process's rank in the group.
    public let rank: Int
    /// Ranks in the group.
    public let worldSize: Int

    /// Seconds a collective (or the rendezvous) may wait for a silent rank: `TUNESCORE_DIST_TIMEOUT`, else 60, so a
    /// dead rank stops its peers well within two minutes.
    public static var defaultTimeout: Double {
        ProcessInfo.processInfo.environment["TUNESCORE_DIST_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 60
    }

    /// Joins (rank 0: hosts) the group; throws `DistributedError.startFailed` when the store cannot be reached, a rank
    /// does not come within `timeout`, or another rank's `configHash` differs.
    public init(_ rendezvous: Rendezvous, configHash: String, timeout: Double = ProcessGroup.defaultTimeout) throws {
        var err = ct_error()
        let made: OpaquePointer? = rendezvous.masterAddress.withCString { address in
            configHash.withCString { hash in
                var spec = ct_group_spec(master_addr: address, master_port: Int32(rendezvous.masterPort), rank: Int32(rendezvous.rank),
                                         world_size: Int32(rendezvous.worldSize), timeout_ms: Int64(timeout * 1000), config_hash: hash)
                return ct_group_create(&spec, &err)
            }
        }
        guard let made else {
            let message = TorchError.message(of: &err)
            throw err.code == CT_INVALID_ARGUMENT.rawValue ? DistributedError.invalidLaunch(message) : DistributedError.startFailed(message)
        }
        handle = made
        rank = rendezvous.rank
        worldSize = rendezvous.worldSize
    }

    deinit { ct_group_free(handle) }

    /// Rank 0 writes checkpoints, logs and reports; the others only train.
    public var isLeader: Bool { rank == 0 }

    /// Copies rank 0's parameters and buffers into `network` on every rank.
    public func broadcast(_ network: CSINetwork) throws {
        try run { ct_group_broadcast_model(handle, network.handle, $0) }
    }

    /// The sums of `values` over the ranks.
    public func sum(_ values: [Double]) throws -> [Double] {
        var result = values
        try run { err in result.withUnsafeMutableBufferPointer { ct_group_allreduce_sum(handle, $0.baseAddress, Int64($0.count), err) } }
        return result
    }

    /// Waits for every rank, up to `timeout` seconds (nil: the group's timeout): after work rank 0 does alone.
    public func barrier(timeout: Double? = nil) throws {
        try run { ct_group_barrier(handle, Int64((timeout ?? 0) * 1000), $0) }
    }

    /// Seconds one all-reduce of `floats` floats takes here, the mean of `repeats`.
    public func allReduceSeconds(floats: Int, repeats: Int) throws -> Double {
        var seconds = 0.0
        try run { ct_group_time_allreduce(handle, Int64(floats), Int32(repeats), &seconds, $0) }
        return seconds
    }

    /// Runs a group call, turning a lost peer into `DistributedError.peerLost`.
    func run(_ call: (UnsafeMutablePointer<ct_error>) -> Int32) throws {
        do {
            try TorchError.check(call)
        } catch let error as TorchError where error.code == .peerLost {
            throw DistributedError.peerLost(error.message)
        }
    }

    /// A hash of the effective config, compared between ranks at the start.
    public static func configHash(_ configJSON: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in configJSON.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(format: "%016llx", hash)
    }

    /// Joins the group the environment describes (nil: train alone), with `configJSON`'s hash compared between ranks.
    public static func join(configJSON: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProcessGroup? {
        guard let rendezvous = try Rendezvous.from(environment: environment), rendezvous.worldSize > 1 else { return nil }
        return try ProcessGroup(rendezvous, configHash: configHash(configJSON))
    }
}

extension CSINetwork {
    /// FNV-1a over the bytes of every parameter, as 16 hex digits: equal on ranks whose parameters are identical.
    public var parameterChecksum: String { String(format: "%016llx", ct_model_parameter_checksum(handle)) }
}

/// What a rank other than 0 reports: it trains its shard of each step and leaves evaluation and every file to rank 0.
public struct RankReport: Codable, Sendable {
    public var worldSize: Int
    public var rank: Int
    /// Equal to rank 0's when the group trained in step.
    public var paramChecksum: String
    public var epochs: Int
    public var trainingSeconds: Double
    /// Items per second of the whole group (every rank's items), as rank 0 reports it too.
    public var trainingItemsPerSecond: Double

    public init(_ result: TrainingResult) {
        worldSize = result.worldSize
        rank = result.rank
        paramChecksum = result.parameterChecksum
        epochs = result.epochsCompleted
        trainingSeconds = result.trainingSeconds
        trainingItemsPerSecond = result.itemsPerSecond
    }
}
