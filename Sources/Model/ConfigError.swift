import Foundation

/// One problem with a run configuration, found before any work starts.
///
/// Its `description` is a single line naming the source (file or command line) and the key, so the
/// CLI can print it as is and exit with status 2.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of problem it is, for a `catch` that wants to tell them apart.
    public enum Kind: Sendable, Equatable {
        /// The file could not be read.
        case unreadable
        /// The file is not JSON, or its top level is not an object.
        case invalidJSON
        /// A key the schema does not know; `suggestion` is the nearest valid key, if one is close.
        case unknownKey(suggestion: String?)
        /// The value has the wrong JSON type (a string where a number belongs, ...).
        case wrongType
        /// The value has the right type but is outside the allowed range or set.
        case outOfRange
        /// A path that must exist does not.
        case missingPath
        /// A value the seed accepts but this build cannot honour (ImageNet weights, CUDA).
        case unsupported
    }

    /// What kind of problem it is.
    public let kind: Kind
    /// The key at fault (`loss_weights.weight_sim` for a nested one), nil for whole-file problems.
    public let key: String?
    /// Where the value came from: the config file's path, or "command line".
    public let source: String
    /// What is wrong and, where it helps, what to do about it.
    public let message: String

    /// Makes an error; `key` is nil for problems with the file as a whole.
    public init(_ kind: Kind, key: String?, source: String, message: String) {
        self.kind = kind
        self.key = key
        self.source = source
        self.message = message
    }

    public var description: String {
        if let key { return "config error in \(source): key '\(key)': \(message)" }
        return "config error in \(source): \(message)"
    }
}

/// A problem with one value, before it is known which key and source it belongs to.
struct ValueProblem: Error {
    let kind: ConfigError.Kind
    let message: String
    /// Set when the problem is in a nested key (`weight_sim` inside `loss_weights`).
    var subkey: String?

    init(_ kind: ConfigError.Kind, _ message: String, subkey: String? = nil) {
        self.kind = kind
        self.message = message
        self.subkey = subkey
    }
}

/// Edit distance between two keys, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...max(b.count, 1) where j <= b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a plausible typo.
func nearest(to word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { (name: $0, distance: editDistance(word.lowercased(), $0)) }
    guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
    // A third of the word's length catches typos and plural slips without suggesting unrelated keys.
    return best.distance <= max(2, word.count / 3) ? best.name : nil
}
