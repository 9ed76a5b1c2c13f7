import ReelJournal

/// A JSON value with deterministic rendering (object keys keep their given order): what `dump` prints and
/// what digests are computed over.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered == b.rendered }
    public func hash(into h: inout Hasher) { h.combine(rendered) }

    public var rendered: String {
        var s = ""
        render(into: &s)
        return s
    }

    public func render(into s: inout String) {
        switch self {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .int(let i): s += String(i)
        case .uint(let u): s += String(u)
        case .double(let d): s += d.isFinite ? String(d) : "null"
        case .string(let str): JSONValue.quote(str, into: &s)
        case .array(let a):
            s += "["
            for (i, v) in a.enumerated() {
                if i > 0 { s += "," }
                v.render(into: &s)
            }
            s += "]"
        case .object(let fields):
            s += "{"
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { s += "," }
                JSONValue.quote(k, into: &s)
                s += ":"
                v.render(into: &s)
            }
            s += "}"
        }
    }

    static func quote(_ str: String, into s: inout String) {
        s += "\""
        for c in str.unicodeScalars {
            switch c {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    s += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    s.unicodeScalars.append(c)
                }
            }
        }
        s += "\""
    }
}

extension JSONValue {
    /// Any value as JSON through `Mirror`, in declaration order: entity states for audits. Payload values use
    /// their own JSON; enums with payloads render as `{case: payload}`.
    public static func reflecting(_ value: Any) -> JSONValue {
        if let v = value as? any PayloadValue { return v.json }
        let m = Mirror(reflecting: value)
        switch m.displayStyle {
        case .optional:
            guard let child = m.children.first else { return .null }
            return reflecting(child.value)
        case .collection, .set:
            return .array(m.children.map { reflecting($0.value) })
        case .dictionary:
            return .array(m.children.map { reflecting($0.value) })
        case .tuple:
            return .object(m.children.enumerated().map { i, c in (c.label.map { $0.hasPrefix(".") ? "\(i)" : $0 } ?? "\(i)", reflecting(c.value)) })
        case .enum:
            guard let child = m.children.first else { return .string(String(describing: value)) }
            return .object([(child.label ?? "case", reflecting(child.value))])
        case .struct, .class:
            return .object(m.children.compactMap { c in c.label.map { ($0, reflecting(c.value)) } })
        default:
            return .string(String(describing: value))
        }
    }
}

extension JSONValue {
    /// The value of an object's field (nil: not an object, or no such field).
    public func field(_ name: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == name }?.1
    }

    /// A non-negative integer's value.
    public var uintValue: UInt64? {
        switch self {
        case .uint(let u): u
        case .int(let i) where i >= 0: UInt64(i)
        default: nil
        }
    }
}
