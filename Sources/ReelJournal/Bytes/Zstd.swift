import CZstd

/// Thin wrapper over libzstd's one-shot API. Each call is independent, so it is safe from any thread.
enum Zstd {
    static func compress(_ input: UnsafeRawBufferPointer, level: Int32) throws(JournalError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            ZSTD_compress(dst.baseAddress, bound, input.baseAddress, input.count, level)
        }
        if ZSTD_isError(written) != 0 {
            throw .io("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        out.removeSubrange(written...)
        return out
    }

    /// Decompresses a frame whose decompressed size is known from the batch header.
    static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(JournalError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: expectedSize)
        let written = out.withUnsafeMutableBytes { dst in
            ZSTD_decompress(dst.baseAddress, expectedSize, input.baseAddress, input.count)
        }
        if ZSTD_isError(written) != 0 {
            throw .malformed("zstd decompression failed: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == expectedSize else {
            throw .malformed("batch decompressed to \(written) bytes, header says \(expectedSize)")
        }
        return out
    }
}
