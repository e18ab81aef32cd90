import Foundation

/// tunescore's folders under the XDG base directories: data (the library database, taste models) and cache (decoded
/// audio). A variable that is unset, empty or not an absolute path is ignored, as the XDG spec says.
public struct XDGFolders: Sendable {
    /// `$XDG_DATA_HOME/tunescore`, or `~/.local/share/tunescore`.
    public let data: String
    /// `$XDG_CACHE_HOME/tunescore`, or `~/.cache/tunescore`.
    public let cache: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        func base(_ variable: String, default relative: String) -> String {
            environment[variable].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (home as NSString).appendingPathComponent(relative)
        }
        data = (base("XDG_DATA_HOME", default: ".local/share") as NSString).appendingPathComponent("tunescore")
        cache = (base("XDG_CACHE_HOME", default: ".cache") as NSString).appendingPathComponent("tunescore")
    }
}
