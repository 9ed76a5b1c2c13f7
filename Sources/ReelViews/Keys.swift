import ReelDomain

/// Fixed, process-independent keys for the views (never Swift's seeded `Hasher`).
public enum ViewKey {
    /// FNV-1a, 64-bit: stable across processes, platforms and releases.
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// A region ("US", "BR"...) as a 16-bit code: its first two bytes, uppercased. Unknown or empty is 0.
    public static func region(_ s: String) -> UInt16 {
        let b = Array(s.uppercased().utf8.prefix(2))
        guard b.count == 2 else { return 0 }
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    public static func regionName(_ code: UInt16) -> String {
        code == 0 ? "" : String(decoding: [UInt8(code >> 8), UInt8(code & 0xff)], as: UTF8.self)
    }

    /// A key scoped by region: the region code in the top 16 bits, the id (below 2^48) in the rest.
    public static func regional(_ region: UInt16, _ id: UInt64) -> UInt64 { UInt64(region) << 48 | (id & 0xFFFF_FFFF_FFFF) }

    /// Interest features: kind in the top byte, then the id (creators, sounds) or a hashtag's hash.
    public enum Feature: UInt8, Sendable, CaseIterable {
        case hashtag = 1, creator = 2, sound = 3
    }

    public static func feature(_ kind: Feature, _ id: UInt64) -> UInt64 { UInt64(kind.rawValue) << 56 | (id & 0x00FF_FFFF_FFFF_FFFF) }
    public static func hashtag(_ tag: String) -> UInt64 { fnv1a(tag) & 0x00FF_FFFF_FFFF_FFFF }
    public static func featureKind(_ key: UInt64) -> Feature? { Feature(rawValue: UInt8(key >> 56)) }
}
