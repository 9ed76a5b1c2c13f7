import Foundation

/// A bad CSV row: which file, which line, and what was wrong.
public struct CSVError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var reason: String
    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }
    public var description: String { "\(file):\(line): \(reason)" }
}

/// A CSV file with a header row (RFC 4180 quoting: fields in double quotes may hold commas, newlines and
/// doubled quotes). Rows keep their 1-based line numbers for error messages.
public struct CSVTable: Sendable {
    public let file: String
    public let header: [String]
    /// (line number of the row's first line, fields)
    public let rows: [(line: Int, fields: [String])]

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw CSVError(file: path, line: 0, reason: "cannot read the file") }
        try self.init(text: String(decoding: data, as: UTF8.self), file: path)
    }

    public init(text: String, file: String) throws {
        self.file = file
        var records = try Self.parse(text, file: file)
        guard !records.isEmpty else { throw CSVError(file: file, line: 1, reason: "the file is empty: it needs a header row") }
        header = records.removeFirst().fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for r in records where r.fields.count != header.count && !(r.fields.count == 1 && r.fields[0].isEmpty) {
            throw CSVError(file: file, line: r.line, reason: "\(r.fields.count) fields, the header has \(header.count)")
        }
        rows = records.filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }
    }

    /// The index of a named column.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw CSVError(file: file, line: 1, reason: "no column \"\(name)\" (the header has: \(header.joined(separator: ", ")))")
        }
        return i
    }

    public func optionalColumn(_ name: String) -> Int? { header.firstIndex(of: name) }

    static func parse(_ text: String, file: String) throws -> [(line: Int, fields: [String])] {
        var out: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var chars = Array(text.unicodeScalars)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                inQuotes = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < chars.count && chars[i + 1] == "\n" { i += 1 }
                fields.append(field)
                out.append((recordLine, fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if inQuotes { throw CSVError(file: file, line: recordLine, reason: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            out.append((recordLine, fields))
        }
        return out
    }
}
