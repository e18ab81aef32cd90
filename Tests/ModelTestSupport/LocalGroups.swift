import Foundation
import Model
import TestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

// Data-parallel groups on 127.0.0.1 for tests. c10d lets several ranks live in one process (each its own
// ProcessGroup over the one TCPStore rank 0 hosts), so a test runs its ranks on threads of its own.

/// A port nobody listens on right now (the test is skipped when there is none).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw XCTSkip("no free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Rank `rank` of a group of two on this machine, hosted at `port`, both ranks with the same config.
public func joinPair(rank: Int, port: Int, timeout: Double) throws -> ProcessGroup {
    try ProcessGroup(Rendezvous(rank: rank, worldSize: 2, masterAddress: "127.0.0.1", masterPort: port),
                     configHash: "same", timeout: timeout)
}

/// Runs `body(rank)` for `world` ranks, each on its own thread, and returns each rank's result or error.
public func runOnRanks<T: Sendable>(_ world: Int, _ body: @escaping @Sendable (Int) throws -> T) -> [Result<T, Error>] {
    let results = Locked([Result<T, Error>?](repeating: nil, count: world))
    let group = DispatchGroup()
    for rank in 0..<world {
        let thread = Thread {
            let result = Result { try body(rank) }
            results.withLock { $0[rank] = result }
            group.leave()
        }
        thread.stackSize = 8 << 20
        group.enter()
        thread.start()
    }
    group.wait()
    return results.value.map { $0 ?? .failure(DistributedError.peerLost("no result")) }
}
