/// What the media pipeline accepts and how hard it may work. Uploads are hostile until proven otherwise, so
/// every limit here is checked before transcoding starts, and the tools run inside the resource limits.
public struct MediaLimits: Sendable, Hashable {
    /// The longest clip accepted.
    public var maxDurationSeconds = 600
    /// The largest width or height accepted, in pixels.
    public var maxDimension = 4_096
    /// The largest frame accepted (width × height).
    public var maxPixels = 4_096 * 2_304
    /// The smallest width or height accepted.
    public var minDimension = 64
    /// The largest original accepted.
    public var maxBytes: Int64 = 512 << 20
    /// Wall-clock limit for one tool run (probe or transcode), after which it is killed.
    public var toolTimeoutSeconds = 300
    /// Threads one ffmpeg process may use for decoding and filtering (x264 threads follow the cores).
    public var threads = 2
    /// Address-space limit for the tools (bytes), applied with `prlimit`.
    public var memoryLimitBytes: Int64 = 8 << 30
    /// The largest file a tool may write (bytes), applied with `prlimit`.
    public var outputFileLimitBytes: Int64 = 4 << 30
    /// Containers accepted (ffmpeg demuxer names). Playlists (`hls`), `concat` scripts and image sequences are
    /// not here on purpose: they make ffmpeg read other files.
    public var demuxers = ["mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpegts", "flv"]
    /// Video codecs accepted in the original.
    public var videoCodecs = ["h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "mjpeg", "prores", "mpeg2video"]

    public init() {}
}
