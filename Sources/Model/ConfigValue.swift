import Foundation

/// A JSON value in a form that keeps key order, so the effective config is written in schema order.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Compact JSON text (arrays on one line), used for table cells and nested values.
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return JSONValue.numberText(d)
        case .string(let s): return JSONValue.quoted(s)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { "\(JSONValue.quoted($0.0)): \($0.1.text)" }.joined(separator: ", ") + "}"
        }
    }

    /// Swift's shortest round-trip form is valid JSON except for non-finite values, which the
    /// schema never admits; whole numbers keep a ".0" so a reader sees they are reals.
    static func numberText(_ d: Double) -> String {
        d.isFinite ? "\(d)" : "null"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Reading typed values out of what JSONSerialization returns (NSNumber, NSString, NSNull, ...).
enum JSONRead {
    /// A short description of a raw value for "got ..." in messages.
    static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if let n = value as? NSNumber {
            if isBoolean(n) { return n.boolValue ? "true" : "false" }
            return "the number \(n)"
        }
        if let s = value as? String { return "the string \(JSONValue.quoted(s))" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "\(value)"
    }

    /// JSON true/false arrive as NSNumber too; only their type encoding tells them from 0 and 1.
    static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
    }

    static func isNull(_ value: Any) -> Bool { value is NSNull }

    static func integer(_ value: Any) throws -> Int {
        guard let n = value as? NSNumber, !isBoolean(n) else {
            throw ValueProblem(.wrongType, "expected an integer, got \(describe(value))")
        }
        let d = n.doubleValue
        // 1e3 or 10.0 are whole numbers written another way; 1.5 is not an integer.
        guard d.rounded() == d, abs(d) < 9.0e15 else {
            throw ValueProblem(.wrongType, "expected an integer, got \(describe(value))")
        }
        return n.intValue
    }

    static func number(_ value: Any) throws -> Double {
        guard let n = value as? NSNumber, !isBoolean(n) else {
            throw ValueProblem(.wrongType, "expected a number, got \(describe(value))")
        }
        return n.doubleValue
    }

    static func boolean(_ value: Any) throws -> Bool {
        guard let n = value as? NSNumber, isBoolean(n) else {
            throw ValueProblem(.wrongType, "expected true or false, got \(describe(value))")
        }
        return n.boolValue
    }

    static func string(_ value: Any) throws -> String {
        guard let s = value as? String else {
            throw ValueProblem(.wrongType, "expected a string, got \(describe(value))")
        }
        return s
    }

    static func numbers(_ value: Any) throws -> [Double] {
        guard let items = value as? [Any] else {
            throw ValueProblem(.wrongType, "expected an array of numbers, got \(describe(value))")
        }
        return try items.map(number)
    }

    static func integers(_ value: Any) throws -> [Int] {
        guard let items = value as? [Any] else {
            throw ValueProblem(.wrongType, "expected an array of integers, got \(describe(value))")
        }
        return try items.map(integer)
    }

    /// Turns JSONSerialization's "around character N" into a line and column a person can find.
    static func location(in data: Data, of error: Error) -> String? {
        let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
        guard let range = detail.range(of: #"character (\d+)"#, options: .regularExpression),
              let offset = Int(detail[range].dropFirst("character ".count))
        else { return nil }
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return "line \(line), column \(column)"
    }
}

/// A numeric interval with open or closed ends, checked and printed the same way.
struct Interval: Sendable {
    let lower: Double
    let upper: Double
    var isLowerOpen = false
    var isUpperOpen = false

    func contains(_ x: Double) -> Bool {
        (isLowerOpen ? x > lower : x >= lower) && (isUpperOpen ? x < upper : x <= upper) && x.isFinite
    }

    var text: String {
        (isLowerOpen ? "(" : "[") + JSONValue.numberText(lower) + ", " + JSONValue.numberText(upper)
            + (isUpperOpen ? ")" : "]")
    }
}
