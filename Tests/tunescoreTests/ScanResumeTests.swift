import Foundation
import GRDB
import LibraryScanner
import TestSupport
import XCTest

/// `tunescore scan` on a library of many files, end to end: a scan killed mid-way resumes where it stopped, and a
/// rescan of an unchanged tree opens none of its files. An extension of `CommandLineTests`, so it runs the built
/// binary with the same helpers, temporary folder and environment.
extension CommandLineTests {
    /// Writes `count` WAV tones to `music/dNN/tNNNN.wav` (100 a folder) and returns their paths relative to the
    /// test's folder. The files are copies of sixteen generated tones, so writing them takes well under a second
    /// even in a debug build.
    private func writeToneLibrary(count: Int, seconds: Double = 1) throws -> [String] {
        let sampleRate = 16000
        let tones = (0..<16).map { k in Signals.tone(frequency: 220 * pow(2, Double(k) / 4), seconds: seconds, sampleRate: sampleRate) }
        let templates = try tones.enumerated().map { k, samples in
            let path = folder.appendingPathComponent("tone-\(k).wav").path
            try WAVFile.write(channels: [samples], sampleRate: sampleRate, to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        var files: [String] = []
        for i in 0..<count {
            let sub = String(format: "music/d%02d", i / 100)
            if i % 100 == 0 {
                try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
            }
            let file = String(format: "\(sub)/t%04d.wav", i)
            // fopen/fwrite: Foundation's Data.write took about 4 ms a file here (6 s for 1500 files in a debug build).
            try Self.writeBytes(templates[i % templates.count], to: folder.appendingPathComponent(file).path)
            files.append(file)
        }
        return files
    }

    /// The catalog rows' paths, as "music/dNN/tNNNN.wav" (the part below the test's folder, however the scan spelled
    /// the folder), sorted, duplicates kept.
    private func cataloguedFiles(_ reader: DatabasePool) throws -> [String] {
        let paths = try reader.read { db in try Data.fetchAll(db, sql: "SELECT path FROM track") }
        return paths.map { data -> String in
            let path = String(decoding: data, as: UTF8.self)
            return path.range(of: "/music/", options: .backwards).map { "music/" + path[$0.upperBound...] } ?? path
        }.sorted()
    }

    private func integrityCheck(_ reader: DatabasePool) throws -> String {
        try reader.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    func testScanKilledMidWayResumesWithEveryFileOnce() throws {
        let count = 1500
        let t0 = Date()
        let files = try writeToneLibrary(count: count)
        let database = folder.appendingPathComponent("library.sqlite").path
        // Created and migrated here, so polling it below never races the scan's migration.
        _ = try TrackCatalog(path: database)
        let reader = try TrackCatalog.openPool(path: database, configuration: Configuration())
        func rows() throws -> Int { try reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM track") ?? 0 } }

        let victim = try start(["scan", "music", "--db", "library.sqlite"])
        // Kill it as soon as the first batch of rows is committed; the deadline only keeps a hung scan from hanging
        // the test.
        let deadline = Date().addingTimeInterval(600)
        while victim.0.isRunning, try rows() == 0, Date() < deadline { usleep(2_000) }
        kill(victim.0.processIdentifier, SIGKILL)
        let killed = finish(victim)
        let savedBeforeKill = try rows()
        let wasKilled = victim.0.terminationReason == .uncaughtSignal && victim.0.terminationStatus == SIGKILL
        guard wasKilled, savedBeforeKill > 0, savedBeforeKill < count else {
            return XCTFail("""
                the first scan was not killed mid-way: \(wasKilled ? "killed" : "it exited with status \(killed.status)") \
                with \(savedBeforeKill) of \(count) files saved; a tree this size must be scanned for longer than it takes \
                to notice the first saved rows (stderr: \(killed.errors.suffix(300)))
                """)
        }
        XCTAssertEqual(try integrityCheck(reader), "ok", "after the kill")

        let rerun = try run("scan", "music", "--db", "library.sqlite")
        XCTAssertEqual(rerun.status, 0, rerun.errors)
        XCTAssertTrue(rerun.errors.contains(
            "scan: \(count - savedBeforeKill) new, 0 changed, \(savedBeforeKill) unchanged, 0 failed\n"),
            "only the files the killed scan had not saved are read: \(rerun.errors.suffix(300))")

        let catalogued = try cataloguedFiles(reader)
        XCTAssertEqual(catalogued.count, count, "one row per file")
        XCTAssertEqual(catalogued, files.sorted(), "every file exactly once")
        XCTAssertEqual(try TrackCatalog(path: database).failures().map(\.description), [])
        XCTAssertEqual(try integrityCheck(reader), "ok")
    }

    func testRescanOfAnUnchangedTreeOpensNoFile() throws {
        guard let strace = Self.executable(named: "strace") else {
            throw XCTSkip("strace is not installed (make test-deps installs it)")
        }
        let count = 200
        let files = try writeToneLibrary(count: count)
        let names = Set(files.map { ($0 as NSString).lastPathComponent })

        /// Runs the scan under strace and returns its summary and the names of the audio files it opened (opens with
        /// O_DIRECTORY, the walker listing folders, are not counted) and whether it listed the music folder.
        func tracedScan(_ log: String) throws -> (summary: String, opened: [String], listedMusic: Bool) {
            let logPath = folder.appendingPathComponent(log).path
            let result = finish(try start(["-f", "-qq", "-e", "trace=open,openat,openat2", "-o", logPath,
                                           binary.path, "scan", "music", "--db", "library.sqlite"], executable: strace))
            if result.status != 0 && result.errors.contains("ptrace") {
                throw XCTSkip("strace cannot trace here: \(result.errors.prefix(300))")
            }
            XCTAssertEqual(result.status, 0, result.errors)
            var opened: [String] = [], listedMusic = false
            for line in try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n") {
                guard line.contains("open"), let start = line.firstIndex(of: "\"") else { continue }
                let rest = line[line.index(after: start)...]
                guard let end = rest.firstIndex(of: "\"") else { continue }
                let path = String(rest[..<end])
                if line.contains("O_DIRECTORY") {
                    if path.hasSuffix("/music") { listedMusic = true }
                } else if names.contains((path as NSString).lastPathComponent) {
                    opened.append((path as NSString).lastPathComponent)
                }
            }
            let summary = result.errors.split(separator: "\n").last.map(String.init) ?? ""
            return (summary, opened, listedMusic)
        }

        let first = try tracedScan("first.strace")
        XCTAssertEqual(first.summary, "scan: \(count) new, 0 changed, 0 unchanged, 0 failed")
        XCTAssertEqual(Set(first.opened), names, "the first scan opens every file (and strace sees it)")
        XCTAssertTrue(first.listedMusic, "strace sees the walker list the music folder")

        let second = try tracedScan("second.strace")
        XCTAssertEqual(second.summary, "scan: 0 new, 0 changed, \(count) unchanged, 0 failed")
        XCTAssertTrue(second.listedMusic, "the rescan walks the tree (so an empty trace would be noticed)")
        XCTAssertEqual(second.opened.count, 0,
                       "the rescan opened \(second.opened.count) files, e.g. \(Array(Set(second.opened)).sorted().prefix(5))")
    }

    private static func writeBytes(_ data: Data, to path: String) throws {
        guard let file = fopen(path, "wb") else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let written = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard fclose(file) == 0, written == data.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// The first executable called `name` on PATH.
    private static func executable(named name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: "\($0)/\(name)") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
