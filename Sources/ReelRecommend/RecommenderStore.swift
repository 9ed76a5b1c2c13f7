import Crypto
import Foundation
import Logging
import ReelDomain
import ReelJournal
import ReelRuntime

/// The recommender as a projection of the journal: folds every event into a `RecommenderModel` and checkpoints
/// it to one file (`recommender.model`): a header with the position and a checksum, then the canonical model.
/// Written to a temporary file, synced and renamed over the old one, so a crash leaves the previous checkpoint
/// or this one. A file that is missing, of another format or damaged is logged and the model is rebuilt from
/// the journal (it is a projection: nothing is lost).
///
/// Its position is the model version recorded in `FeedServed`: replaying to it rebuilds exactly the index and
/// weights that served a feed.
public final class RecommenderStore: Projection {
    public private(set) var model: RecommenderModel
    public private(set) var nextPosition: UInt64 = 0
    let path: String?
    private let logger = Logger(label: "reel.recommender")
    static let headerMagic: UInt64 = 0x3130_4C45_444F_4D52  // "RMODEL01"

    /// Opens the checkpoint at `path` (nil: in memory only).
    public init(path: String?) {
        self.path = path
        model = RecommenderModel()
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        do {
            (model, nextPosition) = try Self.load(path)
        } catch {
            logger.warning("the recommender checkpoint \(path) cannot be used (\(error)); rebuilding the model from the journal")
            model = RecommenderModel()
            nextPosition = 0
        }
    }

    static func load(_ path: String) throws -> (RecommenderModel, UInt64) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return try data.withUnsafeBytes { raw -> (RecommenderModel, UInt64) in
            var r = RawReader(bytes: raw, offset: 0)
            guard try r.u64() == headerMagic else { throw ModelFileError("not a recommender checkpoint") }
            let position = try r.u64()
            let length = Int(try r.u64())
            let digest = try r.copyBytes(32)
            guard length == raw.count - r.offset else { throw ModelFileError("checkpoint is \(raw.count - r.offset) bytes, header says \(length) (torn write?)") }
            let body = UnsafeRawBufferPointer(rebasing: raw[r.offset...])
            guard Array(SHA256.hash(data: body)) == digest else { throw ModelFileError("checkpoint checksum mismatch") }
            return (try RecommenderModel.deserialize(body), position)
        }
    }

    public func apply(_ events: [RecordedEvent]) throws {
        try EventCatalog.fold(events, next: &nextPosition) { model.apply($0) }
    }

    public func checkpoint(recordedAt: Timestamp) throws {
        guard let path else { return }
        let body = model.serialized()
        var header = ByteWriter(capacity: 56)
        header.writeUInt64(Self.headerMagic)
        header.writeUInt64(nextPosition)
        header.writeUInt64(UInt64(body.count))
        header.writeBytes(Array(SHA256.hash(data: body)))
        let temporary = path + ".tmp"
        // A failure to create shows as the open below failing, with the reason.
        _ = FileManager.default.createFile(atPath: temporary, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        do {
            try handle.write(contentsOf: Data(header.bytes))
            try handle.write(contentsOf: Data(body))
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw ModelFileError("cannot rename the recommender checkpoint into place: \(String(cString: strerror(code)))")
        }
        let dir = open((path as NSString).deletingLastPathComponent, O_RDONLY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// SHA-256 of the canonical model and position (for rebuild-equality checks).
    public func digest() -> String {
        var w = ByteWriter()
        w.writeUInt64(nextPosition)
        w.writeBytes(model.serialized())
        return SHA256.hash(data: w.bytes).map { String(format: "%02x", $0) }.joined()
    }
}

extension RawReader {
    mutating func copyBytes(_ n: Int) throws(ModelFileError) -> [UInt8] {
        let start = try take(n)
        return Array(bytes[start..<(start + n)])
    }
}
