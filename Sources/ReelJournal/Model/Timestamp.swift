import Foundation

/// Microseconds since the Unix epoch (UTC). The journal's `recordedAt` and every payload's `occurredAt` use it.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(milliseconds: Int64) { self.microseconds = milliseconds * 1000 }
    /// For times computed here; a number from outside goes through `init?(checkedSeconds:)` or `init?(parsing:)`.
    public init(seconds: Double) { self.microseconds = Int64((seconds * 1_000_000).rounded()) }

    /// The times Reel accepts from outside: 1900-01-01 up to the end of 9999 (ISO-8601's four-digit years, and
    /// well inside Int64 microseconds, so arithmetic on them cannot overflow; before 1900 Foundation's calendar
    /// and ISO-8601's disagree).
    public static let earliest = Timestamp(microseconds: -2_208_988_800_000_000)
    public static let latest = Timestamp(microseconds: 253_402_300_799_999_999)
    static let endOfRangeSeconds = 253_402_300_800.0

    /// Unix seconds from outside: nil for NaN, infinities and anything outside `earliest...latest`.
    public init?(checkedSeconds seconds: Double) {
        guard seconds.isFinite, seconds >= Self.earliest.seconds, seconds < Self.endOfRangeSeconds else { return nil }
        self.init(microseconds: min(Self.latest.microseconds, Int64((seconds * 1_000_000).rounded())))
    }

    public static let zero = Timestamp(microseconds: 0)
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public var milliseconds: Int64 { microseconds / 1000 }
    public var seconds: Double { Double(microseconds) / 1_000_000 }
    public var date: Date { Date(timeIntervalSince1970: seconds) }

    public func adding(microseconds delta: Int64) -> Timestamp { Timestamp(microseconds: microseconds + delta) }

    /// ISO-8601 with microseconds, UTC.
    public var description: String {
        let whole = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let frac = microseconds - whole * 1_000_000
        let date = Date(timeIntervalSince1970: TimeInterval(whole))
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ v: Int?, _ n: Int) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):"
            + "\(pad(c.second, 2)).\(pad(Int(frac), 6))Z"
    }

    /// Accepts Unix seconds (`1700000000`, `1700000000.25`) or ISO-8601 (`2026-11-21T10:00:00Z`, with optional
    /// fractional seconds or an offset, or a bare date `2026-11-21`), between `earliest` and `latest`; nil for
    /// anything else (`nan`, `inf`, `1e300`, year 10000, year 1).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let secs = Double(t), t.first?.isNumber == true || t.first == "-" {
            self.init(checkedSeconds: secs)
            return
        }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        for f in [withFraction, plain, dateOnly] {
            if let d = f.date(from: t) {
                self.init(checkedSeconds: d.timeIntervalSince1970)
                return
            }
        }
        return nil
    }
}
