import CTorch
import Foundation

/// What a checkpoint says about itself, stored next to the tensors as JSON.
public struct CheckpointMetadata: Codable, Equatable, Sendable {
    /// Bumped when the checkpoint layout changes incompatibly.
    public static let currentFormat = 1

    public var format = CheckpointMetadata.currentFormat
    /// Unique per training run: scores cached under one model id are never mixed with another's.
    public var modelID: String
    public var spec: NetworkSpec
    /// Epochs completed when this was written.
    public var epoch: Int
    /// Optimiser steps taken so far (the schedule's position).
    public var step: Int
    public var bestValidationLoss: Double?
    /// The effective run config as JSON text.
    public var config: String
    public var createdAt: Date

    public init(modelID: String, spec: NetworkSpec, epoch: Int, step: Int, bestValidationLoss: Double?, config: String,
                createdAt: Date = Date()) {
        self.modelID = modelID
        self.spec = spec
        self.epoch = epoch
        self.step = step
        self.bestValidationLoss = bestValidationLoss
        self.config = config
        self.createdAt = createdAt
    }
}

/// Reading and writing checkpoints: network weights, optimiser state and metadata in one file.
public enum Checkpoint {
    /// Writes atomically: a temporary file in the same folder, then rename, so a killed process leaves
    /// either the old checkpoint or the new one, never half of one.
    public static func save(network: CSINetwork, optimizer: Optimizer?, metadata: CheckpointMetadata, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let json = String(decoding: try encoder.encode(metadata), as: UTF8.self)
        try TorchError.check { err in
            ct_checkpoint_save(network.handle, optimizer?.handle, temporary.path, json, err)
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw TorchError(code: .io, message: "cannot move checkpoint into place at \(url.path): \(reason)")
        }
    }

    /// Reads only the metadata (to build the right network before loading weights).
    public static func metadata(at url: URL) throws -> CheckpointMetadata {
        try requireFile(url)
        var length = 0
        try TorchError.check { ct_checkpoint_read_metadata(url.path, nil, 0, &length, $0) }
        var buffer = [CChar](repeating: 0, count: length + 1)
        try TorchError.check { err in
            buffer.withUnsafeMutableBufferPointer { ct_checkpoint_read_metadata(url.path, $0.baseAddress, $0.count, &length, err) }
        }
        return try decodeMetadata(buffer, url: url)
    }

    /// Builds the network the checkpoint describes and loads its weights (and optimiser state into
    /// `optimizer`, when given, for resuming).
    public static func load(from url: URL) throws -> (CSINetwork, CheckpointMetadata) {
        let meta = try metadata(at: url)
        let network = try CSINetwork(spec: meta.spec)
        try loadWeights(into: network, optimizer: nil, from: url)
        return (network, meta)
    }

    /// Loads weights into an existing network whose spec must match, plus optimiser state if given.
    public static func loadWeights(into network: CSINetwork, optimizer: Optimizer?, from url: URL) throws {
        try requireFile(url)
        var length = 0
        try TorchError.check { ct_checkpoint_load(network.handle, optimizer?.handle, url.path, nil, 0, &length, $0) }
    }

    private static func requireFile(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TorchError(code: .io, message: "no checkpoint at \(url.path)")
        }
    }

    private static func decodeMetadata(_ buffer: [CChar], url: URL) throws -> CheckpointMetadata {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        do {
            let meta = try decoder.decode(CheckpointMetadata.self, from: Data(bytes))
            guard meta.format == CheckpointMetadata.currentFormat else {
                throw TorchError(code: .mismatch, message: "checkpoint \(url.path) has format \(meta.format); this tunescore reads \(CheckpointMetadata.currentFormat)")
            }
            return meta
        } catch let error as TorchError {
            throw error
        } catch {
            throw TorchError(code: .mismatch, message: "checkpoint \(url.path) has unreadable metadata: \(error)")
        }
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
