import Foundation
import Model

/// A problem that stops a tunescore command, worded for the person who ran it: what failed, the option, key, file or
/// model it concerns, and what to do. The command line prints `description` and ends with `exitStatus`.
public struct TunescoreError: LocalizedError, CustomStringConvertible, Sendable {
    /// Why the command stopped, which decides how the process ends.
    public enum Cause: Sendable, Equatable {
        /// The command was given something it cannot use (an option value, a config key or value): exit status 2.
        case usage
        /// The work itself failed (a file, a model, the database): exit status 1.
        case failure
        /// A signal stopped the run cleanly (checkpoints whole): exit status 130, as a shell reports Ctrl-C.
        case stopped
    }

    /// Why the command stopped.
    public let cause: Cause
    /// The option, key, file or model at fault (`--liked nowhere`, `model 'mine'`), nil when the message says it all.
    public let subject: String?
    /// What went wrong.
    public let problem: String
    /// What to do about it, when there is something useful to say.
    public let remedy: String?

    /// Makes an error; `subject` leads the message, `remedy` ends it.
    public init(_ cause: Cause, subject: String? = nil, problem: String, remedy: String? = nil) {
        self.cause = cause
        self.subject = subject
        self.problem = problem
        self.remedy = remedy
    }

    /// One line: subject, problem and remedy.
    public var description: String {
        let what = subject.map { "\($0): \(problem)" } ?? problem
        return remedy.map { "\(what); \($0)" } ?? what
    }

    /// What swift-argument-parser prints.
    public var errorDescription: String? { description }

    /// The process's exit status: 2 for usage and config, 1 for a failed run, 130 for a stopped one.
    public var exitStatus: Int32 {
        switch cause {
        case .usage: 2
        case .failure: 1
        case .stopped: 130
        }
    }
}

extension TunescoreError {
    /// A config problem: its own message already names the source and the key (and the nearest key for a typo).
    static func config(_ error: ConfigError) -> TunescoreError {
        TunescoreError(.usage, problem: error.description)
    }

    /// A run that failed on `error`, the file or model at fault named by `subject` when `error` does not name it.
    static func failure(_ error: any Error, subject: String? = nil) -> TunescoreError {
        if let error = error as? TunescoreError { return error }
        if let error = error as? ConfigError { return .config(error) }
        return TunescoreError(.failure, subject: subject, problem: "\(error)")
    }
}

/// Runs `work`, turning whatever it throws into a `TunescoreError` about `subject` (the file, folder or model at fault,
/// when the error does not name it); a `TunescoreError` passes unchanged, a config error stays a usage error.
public func reporting<T>(_ subject: String? = nil, _ work: () throws -> T) throws(TunescoreError) -> T {
    do { return try work() } catch { throw TunescoreError.failure(error, subject: subject) }
}
