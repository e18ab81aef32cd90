import CTorch
import Foundation

/// An error from the libtorch engine, with its status code and libtorch's message.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure it was.
    public enum Code: Int32, Sendable {
        case engine = 1, invalidArgument = 2, io = 3, mismatch = 4, peerLost = 5, rendezvous = 6
    }
    public let code: Code
    public let message: String
    public var description: String { message }

    /// Runs a CTorch call and throws its error if the call failed.
    static func check(_ call: (UnsafeMutablePointer<ct_error>) -> Int32) throws {
        var err = ct_error()
        let status = call(&err)
        guard status != 0 else { return }
        throw TorchError(code: Code(rawValue: status) ?? .engine, message: message(of: &err))
    }

    static func message(of err: inout ct_error) -> String {
        withUnsafeBytes(of: &err.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// Which network to build: the architecture, its scale and the CSI heads.
public struct NetworkSpec: Codable, Equatable, Sendable {
    public var architecture: String
    public var scale: Int
    public var inputChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var numShifts: Int
    public var numClasses: Int
    public var projectionDim: Int

    public init(architecture: String, scale: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int,
                numShifts: Int, numClasses: Int = 0, projectionDim: Int = 128) {
        self.architecture = architecture
        self.scale = scale
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.numShifts = numShifts
        self.numClasses = numClasses
        self.projectionDim = projectionDim
    }

    /// Floats in one input item (C x H x W).
    public var itemSize: Int { inputChannels * inputHeight * inputWidth }
}

/// Process-wide libtorch settings.
public enum TorchRuntime {
    /// Uses `TUNESCORE_THREADS` if set, else every available core: libtorch here defaults to one.
    public static func configureThreads() {
        let requested = ProcessInfo.processInfo.environment["TUNESCORE_THREADS"].flatMap { Int($0) }
        ct_set_num_threads(Int32(requested ?? ProcessInfo.processInfo.activeProcessorCount))
    }

    /// Threads libtorch uses for one operation.
    public static var threads: Int { Int(ct_get_num_threads()) }

    /// Seeds weight initialisation.
    public static func seed(_ seed: UInt64) { ct_manual_seed(seed) }
}

/// What one forward pass gives for a batch of items, row-major per item.
public struct ForwardOutput: Sendable {
    public var features: [Float]
    public var projection: [Float]
    public var shiftLogits: [Float]
}

/// The loss weights and temperature of CSI's objective; a term with weight 0 is not computed.
public struct LossWeights: Codable, Equatable, Sendable {
    /// The NT-Xent (contrastive similarity) term.
    public var similarity: Double
    /// The shift-classification term.
    public var shift: Double
    /// The class term.
    public var classification: Double
    /// The feature-norm term.
    public var norm: Double
    /// The NT-Xent temperature.
    public var temperature: Double

    public init(similarity: Double = 1, shift: Double = 1, classification: Double = 0, norm: Double = 0,
                temperature: Double = 0.5) {
        self.similarity = similarity
        self.shift = shift
        self.classification = classification
        self.norm = norm
        self.temperature = temperature
    }

    var cValue: ct_loss_config {
        ct_loss_config(weight_sim: similarity, weight_shift: shift, weight_cls: classification, weight_norm: norm,
                       temperature: temperature)
    }
}

/// Loss values of one step or one validation pass.
public struct LossValues: Codable, Equatable, Sendable {
    public var total = 0.0, sim = 0.0, shift = 0.0, cls = 0.0, norm = 0.0

    public init() {}
    init(_ c: ct_losses) { total = c.total; sim = c.sim; shift = c.shift; cls = c.cls; norm = c.norm }

    /// Adds another value weighted by `weight` (for running means).
    mutating func accumulate(_ other: LossValues, weight: Double) {
        total += other.total * weight; sim += other.sim * weight; shift += other.shift * weight
        cls += other.cls * weight; norm += other.norm * weight
    }
}

/// A batch of input items with CSI's labels, laid out shift-major (see `ShiftMajorBatch`).
public struct TrainingBatch: Sendable {
    public var input: [Float]
    public var count: Int
    public var shiftLabels: [Int64]
    public var classLabels: [Int64]?

    public init(input: [Float], count: Int, shiftLabels: [Int64], classLabels: [Int64]? = nil) {
        self.input = input
        self.count = count
        self.shiftLabels = shiftLabels
        self.classLabels = classLabels
    }
}

/// The CSI network (encoder plus projection, shift and class heads) living in libtorch.
///
/// Not thread-safe: one owner drives it. `@unchecked Sendable` so a trainer can hand it between
/// its own threads, never concurrently.
public final class CSINetwork: @unchecked Sendable {
    let handle: OpaquePointer
    /// The spec it was built from.
    public let spec: NetworkSpec

    /// Builds a freshly initialised network; throws `TorchError` for an unknown architecture or scale.
    public init(spec: NetworkSpec) throws {
        var err = ct_error()
        let made: OpaquePointer? = spec.architecture.withCString { arch in
            var cspec = ct_model_spec(architecture: arch, scale: Int32(spec.scale), in_channels: Int32(spec.inputChannels),
                                      num_shifts: Int32(spec.numShifts), num_classes: Int32(spec.numClasses),
                                      projection_dim: Int32(spec.projectionDim))
            return ct_model_create(&cspec, &err)
        }
        guard let made else {
            throw TorchError(code: TorchError.Code(rawValue: err.code) ?? .engine, message: TorchError.message(of: &err))
        }
        handle = made
        self.spec = spec
    }

    deinit { ct_model_free(handle) }

    /// Width of the pooled encoder features.
    public var featureDim: Int { Int(ct_model_feature_dim(handle)) }
    /// Number of trainable scalars.
    public var parameterCount: Int { Int(ct_model_parameter_count(handle)) }

    /// Runs the network in inference mode on `count` items stored back to back in `input`.
    public func forward(_ input: [Float], count: Int) throws -> ForwardOutput {
        precondition(input.count == count * spec.itemSize, "input holds \(input.count) floats, expected \(count * spec.itemSize)")
        var out = ForwardOutput(features: [Float](repeating: 0, count: count * featureDim),
                                projection: [Float](repeating: 0, count: count * spec.projectionDim),
                                shiftLogits: [Float](repeating: 0, count: count * max(1, spec.numShifts)))
        try TorchError.check { err in
            input.withUnsafeBufferPointer { x in
                out.features.withUnsafeMutableBufferPointer { f in
                    out.projection.withUnsafeMutableBufferPointer { p in
                        out.shiftLogits.withUnsafeMutableBufferPointer { s in
                            ct_model_forward(handle, x.baseAddress, Int64(count), Int64(spec.inputChannels), Int64(spec.inputHeight),
                                             Int64(spec.inputWidth), f.baseAddress, p.baseAddress, s.baseAddress, err)
                        }
                    }
                }
            }
        }
        return out
    }

    /// One optimisation step on `batch`; returns its losses.
    ///
    /// With a `group`, the gradients are averaged over its ranks before the update, each rank's weighted by
    /// `gradientWeight` (its items over the mean items per rank), and the losses returned are the ranks' weighted mean.
    public func trainStep(_ batch: TrainingBatch, optimizer: Optimizer, loss: LossWeights, group: ProcessGroup? = nil,
                          gradientWeight: Double = 1) throws -> LossValues {
        do {
            return try runLoss(batch, loss: loss) { x, n, c, h, w, s, k, cfg, out, err in
                ct_train_step(handle, optimizer.handle, x, n, c, h, w, s, k, cfg, group?.handle, gradientWeight, out, err)
            }
        } catch let error as TorchError where error.code == .peerLost {
            throw DistributedError.peerLost(error.message)
        }
    }

    /// The losses of `batch` without a step (validation).
    public func evalLoss(_ batch: TrainingBatch, loss: LossWeights) throws -> LossValues {
        try runLoss(batch, loss: loss) { x, n, c, h, w, s, k, cfg, out, err in
            ct_eval_loss(handle, x, n, c, h, w, s, k, cfg, out, err)
        }
    }

    private typealias LossCall = (UnsafePointer<Float>?, Int64, Int64, Int64, Int64, UnsafePointer<Int64>?,
                                  UnsafePointer<Int64>?, UnsafePointer<ct_loss_config>, UnsafeMutablePointer<ct_losses>,
                                  UnsafeMutablePointer<ct_error>) -> Int32

    private func runLoss(_ batch: TrainingBatch, loss: LossWeights, call: LossCall) throws -> LossValues {
        precondition(batch.input.count == batch.count * spec.itemSize, "batch input size does not match the network")
        var out = ct_losses()
        var cfg = loss.cValue
        try TorchError.check { err in
            batch.input.withUnsafeBufferPointer { x in
                batch.shiftLabels.withUnsafeBufferPointer { s in
                    withOptionalBuffer(batch.classLabels) { k in
                        call(x.baseAddress, Int64(batch.count), Int64(spec.inputChannels), Int64(spec.inputHeight),
                             Int64(spec.inputWidth), s.baseAddress, k, &cfg, &out, err)
                    }
                }
            }
        }
        return LossValues(out)
    }
}

private func withOptionalBuffer<R>(_ array: [Int64]?, _ body: (UnsafePointer<Int64>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// NT-Xent of `count` embeddings of width `dim` (positives i <-> i + count/2); exposed for tests.
public func ntXentLoss(_ z: [Float], count: Int, dim: Int, temperature: Double) throws -> Double {
    var value = 0.0
    try TorchError.check { err in
        z.withUnsafeBufferPointer { ct_nt_xent($0.baseAddress, Int64(count), Int64(dim), temperature, &value, err) }
    }
    return value
}

/// An optimiser over a network's parameters (AdamW, SGD or LARS); BatchNorm and biases are never decayed.
public final class Optimizer: @unchecked Sendable {
    /// The optimiser kinds the config's `optimizer` key names.
    public enum Kind: String, CaseIterable, Codable, Sendable { case adamw, sgd, lars }

    let handle: OpaquePointer
    public let kind: Kind

    /// Creates an optimiser for `network`.
    public init(network: CSINetwork, kind: Kind, learningRate: Double, weightDecay: Double, momentum: Double = 0.9) throws {
        var err = ct_error()
        let cKind: ct_optimizer_kind = switch kind {
        case .adamw: CT_OPT_ADAMW
        case .sgd: CT_OPT_SGD
        case .lars: CT_OPT_LARS
        }
        guard let made = ct_optimizer_create(network.handle, cKind, learningRate, weightDecay, momentum, &err) else {
            throw TorchError(code: TorchError.Code(rawValue: err.code) ?? .engine, message: TorchError.message(of: &err))
        }
        handle = made
        self.kind = kind
    }

    deinit { ct_optimizer_free(handle) }

    /// Sets the learning rate of every parameter group.
    public func setLearningRate(_ lr: Double) { ct_optimizer_set_lr(handle, lr) }
}

extension TorchRuntime {
    /// How many times an OpenMP thread checks for work before it sleeps, with `PASSIVE` (well under a millisecond).
    /// Sleeping at once costs every parallel region a wake-up; on a virtual machine an idle core halts and waking it
    /// takes long. Measured (`bench step` of the music network, 2 cores, 2026-12-03): training alone 37 -> 44 items/s,
    /// beside two busy nice-0 programs 22.9 -> 23.7 (30 000 spins: 47 alone but 20.9 beside them).
    public static let openMPSpinCount = "10000"

    /// libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT only when the process starts, and spinning OpenMP threads
    /// slow a busy 2-core machine several times over. When the policy is unset this sets it to PASSIVE, and with a
    /// passive policy and no spin count it sets a short one (`openMPSpinCount`); if either changed it re-executes the
    /// same binary with the same arguments. It returns only when no relaunch was needed (or possible).
    public static func relaunchWithPassiveOpenMPIfNeeded() {
        var changed = false
        let policy = getenv("OMP_WAIT_POLICY").map { String(cString: $0) }
        if policy == nil {
            setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
            changed = true
        }
        if (policy ?? "PASSIVE").uppercased() == "PASSIVE" && getenv("GOMP_SPINCOUNT") == nil {
            setenv("GOMP_SPINCOUNT", openMPSpinCount, 1)
            changed = true
        }
        if changed { execv("/proc/self/exe", CommandLine.unsafeArgv) }
    }
}
