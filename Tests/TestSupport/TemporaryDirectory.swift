import Foundation
import XCTest

public extension XCTestCase {
    /// A fresh, empty folder for this test, removed when the test ends.
    func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tunescore-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { removeTemporaryDirectory(url) }
        return url
    }

    /// Writes `text` to `name` inside `directory` and returns the file's URL.
    @discardableResult
    func write(_ text: String, to name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }
}

/// Removes `url` and everything in it. A test may have taken permissions away (an unreadable folder cannot be
/// emptied), so when removing fails they are given back and removing is tried again.
private func removeTemporaryDirectory(_ url: URL) {
    if (try? FileManager.default.removeItem(at: url)) != nil { return }
    let chmod = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+rwx", url.path])
    chmod?.waitUntilExit()
    try? FileManager.default.removeItem(at: url)
}
