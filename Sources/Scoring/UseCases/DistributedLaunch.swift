import Foundation
import Model

/// How a training command runs data-parallel: `--nproc N` local ranks, or the group the environment describes
/// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, as torchrun sets them).
public struct DistributedLaunch: Sendable {
    /// `--nproc`: how many local ranks to start; nil when this process trains (alone or as one rank of a group).
    public var localRanks: Int?
    /// This process's arguments, which every local rank runs again.
    public var arguments: [String]

    /// A launch of `localRanks` ranks of `arguments`.
    public init(localRanks: Int?, arguments: [String] = CommandLine.arguments) {
        self.localRanks = localRanks
        self.arguments = arguments
    }

    /// With `--nproc`: runs the local ranks and returns the status this process ends with; nil without it.
    /// - Throws: `TunescoreError` (usage) when the ranks cannot be launched.
    public func runLocalRanks(say: (String) -> Void) throws(TunescoreError) -> Int32? {
        guard let localRanks else { return nil }
        do {
            return try LocalRanks.run(count: localRanks, arguments: arguments, say: say)
        } catch {
            throw TunescoreError(.usage, problem: "\(error)")
        }
    }

    /// Joins the group the environment describes (nil: train alone), the ranks comparing a hash of `configJSON`.
    /// - Throws: `TunescoreError` (usage) when the environment is wrong or the group cannot start.
    public func join(configJSON: String) throws(TunescoreError) -> ProcessGroup? {
        do {
            return try ProcessGroup.join(configJSON: configJSON)
        } catch {
            throw TunescoreError(.usage, problem: "\(error)")
        }
    }
}

/// How a command that may run data-parallel ended.
public enum RunEnd<Result: Sendable>: Sendable {
    /// `--nproc`: the local ranks ran; the process ends with their status.
    case localRanks(status: Int32)
    /// This process ran; `Result` says what came of it.
    case finished(Result)
}

/// Turns SIGINT and SIGTERM into a clean stop of a running trainer (checkpoints stay whole).
public final class StopOnSignal: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let say: @Sendable (String) -> Void

    /// A stopper that tells `say` when it stops a run.
    public init(say: @escaping @Sendable (String) -> Void) {
        self.say = say
    }

    /// Stops `trainer` at its next step when a signal arrives; a second signal ends the process.
    public func stops(_ trainer: Trainer) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.say("stopping after this step (again to quit at once)")
                trainer.requestStop()
                for s in self.sources { s.cancel() }
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }
}
