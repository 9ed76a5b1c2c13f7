import CZstd
import Synchronization

/// Thin wrapper over libzstd, safe from any thread.
///
/// Contexts are reused from a small pool: the one-shot `ZSTD_compress`/`ZSTD_decompress` create and free a
/// context per call, and for the journal's small batches (a group commit of a few commands) setting one up was
/// most of the cost — 15 % of `reel bench actors`. The output is the same bytes either way.
enum Zstd {
    /// A context is used by one thread at a time: taken from the pool, used, given back.
    private struct Context: @unchecked Sendable { let pointer: OpaquePointer }
    private static let compressors = Mutex<[Context]>([])
    private static let decompressors = Mutex<[Context]>([])
    /// Contexts kept for reuse; more are created when more threads compress at once, and freed on return.
    private static let keep = 4

    static func compress(_ input: UnsafeRawBufferPointer, level: Int32) throws(JournalError) -> [UInt8] {
        let ctx = compressors.withLock { $0.popLast()?.pointer } ?? ZSTD_createCCtx()
        guard let ctx else { throw .io("zstd could not allocate a compression context") }
        defer { give(ctx, to: compressors) { ZSTD_freeCCtx($0) } }
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            ZSTD_compressCCtx(ctx, dst.baseAddress, bound, input.baseAddress, input.count, level)
        }
        if ZSTD_isError(written) != 0 {
            throw .io("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        out.removeSubrange(written...)
        return out
    }

    /// Decompresses a frame whose decompressed size is known from the batch header.
    static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(JournalError) -> [UInt8] {
        let ctx = decompressors.withLock { $0.popLast()?.pointer } ?? ZSTD_createDCtx()
        guard let ctx else { throw .io("zstd could not allocate a decompression context") }
        defer { give(ctx, to: decompressors) { ZSTD_freeDCtx($0) } }
        var out = [UInt8](repeating: 0, count: expectedSize)
        let written = out.withUnsafeMutableBytes { dst in
            ZSTD_decompressDCtx(ctx, dst.baseAddress, expectedSize, input.baseAddress, input.count)
        }
        if ZSTD_isError(written) != 0 {
            throw .malformed("zstd decompression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == expectedSize else {
            throw .malformed("batch decompressed to \(written) bytes, header says \(expectedSize)")
        }
        return out
    }

    private static func give(_ ctx: OpaquePointer, to pool: borrowing Mutex<[Context]>, free: (OpaquePointer) -> Void) {
        let context = Context(pointer: ctx)
        let kept = pool.withLock { contexts in
            guard contexts.count < keep else { return false }
            contexts.append(context)
            return true
        }
        if !kept { free(ctx) }
    }
}
