import Dispatch

/// Runs `body(i)` for i in 0..<count on up to `threads` threads, each taking a contiguous chunk.
/// With one thread it runs inline, in order.
func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = count * w / workers, end = count * (w + 1) / workers
            for i in start..<end { shared.value(i) }
        }
    }
}

/// Carries a value across a concurrency boundary whose safety the caller guarantees.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
