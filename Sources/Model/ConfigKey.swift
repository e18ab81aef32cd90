import Foundation

/// Where config values come from: names the source in errors and anchors relative paths.
struct ConfigSource: Sendable {
    /// The config file's path, or "command line".
    let name: String
    /// Relative paths are resolved against this folder.
    let baseDirectory: URL

    static var commandLine: ConfigSource {
        ConfigSource(name: "command line", baseDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }

    /// `path` made absolute against the base folder; `~` is expanded as a shell would.
    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        return baseDirectory.appendingPathComponent(expanded).standardizedFileURL.path
    }
}

/// One key of the run configuration: its name, documentation, and how it is read and written.
///
/// `RunConfig.schema` lists them all; parsing, validation of single values, the effective-config
/// JSON and the README table are all generated from that one list.
public struct ConfigKey: Sendable {
    /// The JSON key.
    public let name: String
    /// The JSON type, as shown in the table ("int", "number", "string|null", ...).
    public let type: String
    /// The allowed values, as shown in the table.
    public let range: String
    /// What the key is for.
    public let help: String
    /// Checks a raw JSON value and stores it; throws `ValueProblem`.
    let apply: @Sendable (inout RunConfig, Any, ConfigSource) throws -> Void
    /// The key's current value as JSON.
    let value: @Sendable (RunConfig) -> JSONValue

    /// The default, as JSON text.
    public var defaultText: String { value(RunConfig()).text }
}

// Builders for the common shapes of key, so each schema line states only what differs.
extension ConfigKey {
    static func integer(
        _ name: String, _ path: WritableKeyPath<RunConfig, Int> & Sendable,
        _ range: ClosedRange<Int>, shownRange: String? = nil, _ help: String
    ) -> ConfigKey {
        let allowed = "\(range.lowerBound)…" + (range.upperBound == Int.max ? "" : String(range.upperBound))
        return checked(name, path, type: "int", allowed: allowed, shown: shownRange ?? allowed, help: help,
                       read: JSONRead.integer, isAllowed: range.contains, json: JSONValue.integer)
    }

    static func number(
        _ name: String, _ path: WritableKeyPath<RunConfig, Double> & Sendable,
        _ interval: Interval, _ help: String
    ) -> ConfigKey {
        checked(name, path, type: "number", allowed: interval.text, shown: interval.text, help: help,
                read: JSONRead.number, isAllowed: interval.contains, json: JSONValue.number)
    }

    /// A single value: `read` checks its type, `isAllowed` its range (`allowed` says which in errors).
    private static func checked<V: Sendable>(
        _ name: String, _ path: WritableKeyPath<RunConfig, V> & Sendable, type: String, allowed: String, shown: String,
        help: String, read: @escaping @Sendable (Any) throws -> V, isAllowed: @escaping @Sendable (V) -> Bool,
        json: @escaping @Sendable (V) -> JSONValue
    ) -> ConfigKey {
        ConfigKey(
            name: name, type: type, range: shown, help: help,
            apply: { config, raw, _ in
                let v = try read(raw)
                guard isAllowed(v) else { throw ValueProblem(.outOfRange, "must be in \(allowed), got \(v)") }
                config[keyPath: path] = v
            },
            value: { json($0[keyPath: path]) })
    }

    static func flag(_ name: String, _ path: WritableKeyPath<RunConfig, Bool> & Sendable, _ help: String) -> ConfigKey {
        ConfigKey(
            name: name, type: "bool", range: "true, false", help: help,
            apply: { config, raw, _ in config[keyPath: path] = try JSONRead.boolean(raw) },
            value: { .bool($0[keyPath: path]) })
    }

    /// A string from a fixed set; `refused` maps values the seed knows but this build cannot do to why.
    static func choice<E: RawRepresentable<String> & CaseIterable & Sendable>(
        _ name: String, _ path: WritableKeyPath<RunConfig, E> & Sendable,
        refused: [String: String] = [:], _ help: String
    ) -> ConfigKey {
        ConfigKey(
            name: name, type: "string", range: E.allCases.map(\.rawValue).joined(separator: ", "), help: help,
            apply: { config, raw, _ in config[keyPath: path] = try parseChoice(raw, refused: refused) },
            value: { .string($0[keyPath: path].rawValue) })
    }

    /// Like `choice`, but null is allowed and means "none".
    static func optionalChoice<E: RawRepresentable<String> & CaseIterable & Sendable>(
        _ name: String, _ path: WritableKeyPath<RunConfig, E?> & Sendable, _ help: String
    ) -> ConfigKey {
        ConfigKey(
            name: name, type: "string|null", range: (E.allCases.map(\.rawValue) + ["null"]).joined(separator: ", "),
            help: help,
            apply: { config, raw, _ in
                config[keyPath: path] = JSONRead.isNull(raw) ? nil : try parseChoice(raw, refused: [:]) as E
            },
            value: { $0[keyPath: path].map { .string($0.rawValue) } ?? .null })
    }

    /// A file-system path; relative paths are resolved against the source's folder.
    static func path(_ name: String, _ path: WritableKeyPath<RunConfig, String> & Sendable, _ help: String) -> ConfigKey {
        ConfigKey(
            name: name, type: "path", range: "", help: help,
            apply: { config, raw, source in config[keyPath: path] = source.resolve(try nonEmptyString(raw)) },
            value: { .string($0[keyPath: path]) })
    }

    /// A path or null; `refused` maps values that are not paths but mean something to the seed to why.
    static func optionalPath(
        _ name: String, _ path: WritableKeyPath<RunConfig, String?> & Sendable,
        refused: [String: String] = [:], _ help: String
    ) -> ConfigKey {
        ConfigKey(
            name: name, type: "path|null", range: "", help: help,
            apply: { config, raw, source in
                if JSONRead.isNull(raw) { config[keyPath: path] = nil; return }
                let text = try nonEmptyString(raw)
                if let why = refused[text.lowercased()] { throw ValueProblem(.unsupported, why) }
                config[keyPath: path] = source.resolve(text)
            },
            value: { $0[keyPath: path].map { .string($0) } ?? .null })
    }

    private static func nonEmptyString(_ raw: Any) throws -> String {
        let text = try JSONRead.string(raw)
        guard !text.isEmpty else { throw ValueProblem(.outOfRange, "must not be empty") }
        return text
    }

    static func parseChoice<E: RawRepresentable<String> & CaseIterable>(
        _ raw: Any, refused: [String: String]
    ) throws -> E {
        let text = try JSONRead.string(raw)
        if let why = refused[text.lowercased()] { throw ValueProblem(.unsupported, why) }
        if let v = E(rawValue: text) ?? E(rawValue: text.lowercased()) { return v }
        let names = E.allCases.map(\.rawValue)
        let hint = nearest(to: text, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
        throw ValueProblem(.outOfRange, "must be one of \(names.joined(separator: ", ")), got \"\(text)\"\(hint)")
    }
}
