/// Where one batch lives: the unit of the sparse position index and of the time index.
public struct BatchEntry: Hashable, Sendable {
    public static let encodedSize = 32
    public var firstPosition: UInt64
    public var offset: UInt64
    public var recordedAt: Int64
    public var eventCount: UInt32
    public var frameLength: UInt32

    public var nextPosition: UInt64 { firstPosition + UInt64(eventCount) }

    func encode(into w: inout ByteWriter) {
        w.writeUInt64(firstPosition)
        w.writeUInt64(offset)
        w.writeInt64(recordedAt)
        w.writeUInt32(eventCount)
        w.writeUInt32(frameLength)
    }

    static func decode(_ r: inout ByteReader) throws(JournalError) -> BatchEntry {
        BatchEntry(
            firstPosition: try r.readUInt64(), offset: try r.readUInt64(), recordedAt: try r.readInt64(),
            eventCount: try r.readUInt32(), frameLength: try r.readUInt32())
    }
}

extension Array where Element == BatchEntry {
    /// Index of the batch containing `position`, if any.
    func batchIndex(containing position: UInt64) -> Int? {
        var lo = 0
        var hi = count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let e = self[mid]
            if position < e.firstPosition {
                hi = mid - 1
            } else if position >= e.nextPosition {
                lo = mid + 1
            } else {
                return mid
            }
        }
        return nil
    }

    /// Index of the last batch recorded at or before `time`.
    func lastBatchIndex(atOrBefore time: Int64) -> Int? {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid].recordedAt <= time { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }
}
