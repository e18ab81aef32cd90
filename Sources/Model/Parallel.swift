import Dispatch
import Foundation

/// Runs `body(i)` for i in 0..<count on up to `threads` threads, each taking the next index when free.
/// With one thread it runs inline, in order.
func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    // Workers claim the next index when free, so items of uneven cost (tracks of different lengths) keep
    // every core busy to the end.
    let next = IndexDispenser()
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.claim(below: count) { shared.value(i) }
        }
    }
}

/// Hands out 0, 1, 2, … to concurrent workers.
private final class IndexDispenser: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    func claim(below limit: Int) -> Int? {
        lock.withLock {
            guard next < limit else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

/// Carries a value across a concurrency boundary whose safety the caller guarantees.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
