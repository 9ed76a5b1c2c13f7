import ReelJournal

/// A value that payloads and snapshot states encode positionally with the journal's primitives.
///
/// Events write their fields in declaration order with `put` and read them back with `get`; `fields` (the
/// JSON used by dump and audit) is derived from the same declaration order through `Mirror`, so a field
/// added to a struct appears in both. Changing an event's fields means a new version and an upcaster.
public protocol PayloadValue: Sendable {
    static func read(from r: inout ByteReader) throws(JournalError) -> Self
    func write(to w: inout ByteWriter)
    var json: JSONValue { get }
}

/// An enum stored as one byte, its raw value; an unknown byte is a decoding error that names the type. The raw
/// values are part of the formats that store them: never reuse one.
public protocol ByteCoded: PayloadValue, RawRepresentable, CaseIterable where RawValue == UInt8 {
    /// How a decoding error names the type ("video status").
    static var payloadName: String { get }
}

extension ByteCoded {
    public static func read(from r: inout ByteReader) throws(JournalError) -> Self {
        let b = try r.readByte()
        guard let v = Self(rawValue: b) else { throw JournalError(.malformed, "unknown \(payloadName) \(b)") }
        return v
    }
    public func write(to w: inout ByteWriter) { w.writeByte(rawValue) }
    public var json: JSONValue { .string("\(self)") }
    /// The case spelled `name` (as in JSON and on the command line), or nil.
    public init?(name: String) {
        guard let c = Self.allCases.first(where: { "\($0)" == name }) else { return nil }
        self = c
    }
}

extension UInt64: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> UInt64 { try r.readVarint() }
    public func write(to w: inout ByteWriter) { w.writeVarint(self) }
    public var json: JSONValue { .uint(self) }
}

extension UInt32: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> UInt32 {
        let v = try r.readVarint()
        guard v <= UInt64(UInt32.max) else { throw JournalError(.malformed, "value \(v) does not fit 32 bits") }
        return UInt32(v)
    }
    public func write(to w: inout ByteWriter) { w.writeVarint(UInt64(self)) }
    public var json: JSONValue { .uint(UInt64(self)) }
}

extension Int64: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> Int64 { try r.readZigzag() }
    public func write(to w: inout ByteWriter) { w.writeZigzag(self) }
    public var json: JSONValue { .int(self) }
}

extension Bool: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> Bool {
        let b = try r.readByte()
        guard b <= 1 else { throw JournalError(.malformed, "a flag must be 0 or 1, got \(b)") }
        return b == 1
    }
    public func write(to w: inout ByteWriter) { w.writeByte(self ? 1 : 0) }
    public var json: JSONValue { .bool(self) }
}

extension String: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> String { try r.readString() }
    public func write(to w: inout ByteWriter) { w.writeString(self) }
    public var json: JSONValue { .string(self) }
}

/// Doubles and floats are stored as their IEEE-754 bit patterns, so a replay reads back the very same value.
extension Double: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> Double {
        Double(bitPattern: try r.readUInt64())
    }
    public func write(to w: inout ByteWriter) { w.writeUInt64(bitPattern) }
    public var json: JSONValue { .double(self) }
}

extension Float: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> Float {
        Float(bitPattern: try r.readUInt32())
    }
    public func write(to w: inout ByteWriter) { w.writeUInt32(bitPattern) }
    public var json: JSONValue { .double(Double(self)) }
}

/// Millisecond precision, zigzag varint: what clients and imports provide.
extension Timestamp: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> Timestamp {
        Timestamp(milliseconds: try r.readZigzag())
    }
    public func write(to w: inout ByteWriter) { w.writeZigzag(milliseconds) }
    public var json: JSONValue { .string(description) }
}

extension Array: PayloadValue where Element: PayloadValue {
    public static func read(from r: inout ByteReader) throws(JournalError) -> [Element] {
        let n = try r.readVarint()
        guard n <= UInt64(r.remaining) else {
            throw JournalError(.malformed, "a list of \(n) items is longer than its \(r.remaining) bytes")
        }
        var out: [Element] = []
        out.reserveCapacity(Int(n))
        for _ in 0..<n { out.append(try Element.read(from: &r)) }
        return out
    }
    public func write(to w: inout ByteWriter) {
        w.writeVarint(UInt64(count))
        for e in self { e.write(to: &w) }
    }
    public var json: JSONValue { .array(map(\.json)) }
}

extension ByteWriter {
    public mutating func put<V: PayloadValue>(_ v: V) { v.write(to: &self) }
}

extension ByteReader {
    public mutating func get<V: PayloadValue>(_: V.Type = V.self) throws(JournalError) -> V { try V.read(from: &self) }
}

/// JSON fields of any value in declaration order (through `Mirror`): for dumps and audits, not hot paths.
public func mirroredFields(_ value: Any) -> [(String, JSONValue)] {
    Mirror(reflecting: value).children.compactMap { child in
        guard let label = child.label else { return nil }
        if let v = child.value as? any PayloadValue { return (label, v.json) }
        return (label, .string(String(describing: child.value)))
    }
}

/// A payload struct whose JSON form is its fields in declaration order.
public protocol MirroredFields: PayloadValue {}
extension MirroredFields {
    public var json: JSONValue { .object(mirroredFields(self)) }
}
