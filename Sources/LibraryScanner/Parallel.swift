import Dispatch
import Foundation

// The one set of parallel helpers every target uses (the scanner's reads, decoding, descriptors, batches).

/// Runs `body(i)` for i in 0..<count on up to `threads` threads, each taking the next index when free.
/// With one thread it runs inline, in order.
public func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
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

/// `transform(i)` for i in 0..<count, run as `parallelFor` runs its body, in index order.
public func parallelMap<Result>(_ count: Int, threads: Int, _ transform: (Int) -> Result) -> [Result] {
    let results = LockedArray<Result?>(repeating: nil, count: count)
    parallelFor(count, threads: threads) { i in results[i] = transform(i) }
    // parallelFor runs every index exactly once, so every slot is set.
    return results.elements.map { $0! }
}

/// Hands out 0, 1, 2, … to concurrent workers.
public final class IndexDispenser: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    /// Whether an index below `limit` is still unclaimed.
    public func hasRemaining(below limit: Int) -> Bool { lock.withLock { next < limit } }

    public init() {}

    public func claim(below limit: Int) -> Int? {
        lock.withLock {
            guard next < limit else { return nil }
            defer { next += 1 }
            return next
        }
    }
}

/// Carries a value across a concurrency boundary whose safety the caller guarantees.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// An array whose elements several threads set (each its own index) under a lock.
public final class LockedArray<Element>: @unchecked Sendable {
    private var storage: [Element]
    private let lock = NSLock()

    public init(repeating value: Element, count: Int) { storage = Array(repeating: value, count: count) }

    public subscript(index: Int) -> Element {
        get { lock.withLock { storage[index] } }
        set { lock.withLock { storage[index] = newValue } }
    }

    /// Adds one to an integer element and returns the new value.
    public func increment(_ index: Int) -> Int where Element == Int {
        lock.withLock {
            storage[index] += 1
            return storage[index]
        }
    }

    /// Adds `amount` to a numeric element.
    public func add(_ amount: Element, at index: Int) where Element: AdditiveArithmetic {
        lock.withLock { storage[index] += amount }
    }

    public var elements: [Element] { lock.withLock { storage } }
}
