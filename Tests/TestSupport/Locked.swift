import Foundation

/// A value several threads read and change, one at a time: results, counts and logs gathered from workers.
public final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()

    public init(_ value: Value) { stored = value }

    /// Runs `change` on the value with the lock held.
    @discardableResult
    public func withLock<Result>(_ change: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try change(&stored) }
    }

    /// The value as it is now.
    public var value: Value { lock.withLock { stored } }
}

extension Locked {
    /// Appends `element` to a list gathered from several threads.
    public func append<Element>(_ element: Element) where Value == [Element] {
        withLock { $0.append(element) }
    }
}
