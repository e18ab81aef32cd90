import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `--nproc N`: starts N ranks of this same command on this machine, as torchrun does, over 127.0.0.1.
///
/// Each rank is this executable with the same arguments less `--nproc`, and RANK, LOCAL_RANK, WORLD_SIZE,
/// MASTER_ADDR=127.0.0.1 and a free MASTER_PORT in its environment; without TUNESCORE_THREADS each gets an equal
/// share of the cores. Rank 0's standard output is this process's; the other ranks' goes to standard error, so a
/// `--json` report on standard output stays one document. Ranks stop on their own when another fails (see
/// `ProcessGroup`), so this only waits for all of them.
public enum LocalRanks {
    /// Runs `count` ranks of `arguments` (argv, the executable first) and returns the exit status to end with: 0 when
    /// every rank succeeded, else the first failing rank's status (128 + signal for a killed one).
    public static func run(count: Int, arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                           say: (String) -> Void) throws -> Int32 {
        precondition(count >= 1)
        if let set = Rendezvous.variables.first(where: { environment[$0] != nil }) {
            throw DistributedError.invalidLaunch("--nproc starts its own ranks, but \(set) is already set: launch with one or the other")
        }
        let port = try freePort()
        // Ctrl-C reaches every rank (one process group on the terminal); each stops at an epoch's end, so this waits.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var ranks: [Process] = []
        for rank in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = withoutNproc(Array(arguments.dropFirst()))
            var env = environment
            env["RANK"] = String(rank)
            env["LOCAL_RANK"] = String(rank)
            env["WORLD_SIZE"] = String(count)
            env["MASTER_ADDR"] = "127.0.0.1"
            env["MASTER_PORT"] = String(port)
            if env["TUNESCORE_THREADS"] == nil { env["TUNESCORE_THREADS"] = String(max(1, cores / count)) }
            process.environment = env
            if rank > 0 { process.standardOutput = FileHandle.standardError }
            try process.run()
            ranks.append(process)
        }
        say("started \(count) ranks on 127.0.0.1:\(port) (\(ranks[0].environment?["TUNESCORE_THREADS"] ?? "?") threads each)")
        var status: Int32 = 0
        for (rank, process) in ranks.enumerated() {
            process.waitUntilExit()
            let code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            if code != 0 {
                say("rank \(rank) exited with status \(code)")
                if status == 0 { status = code }
            }
        }
        return status
    }

    /// `arguments` without `--nproc N` / `--nproc=N`.
    public static func withoutNproc(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--nproc" { skipNext = true; continue }
            if argument.hasPrefix("--nproc=") { continue }
            result.append(argument)
        }
        return result
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (rank 0 binds it a moment later).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DistributedError.startFailed("cannot open a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw DistributedError.startFailed("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
