/// A duet or a stitch: the upload combined with the published original (read from the original's MP4
/// fallback, an internal file) inside the same ffmpeg run, before the ladder's `split`. The composed clip is
/// what gets probed limits, renditions, hashes and fingerprints.
public struct Composition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Side by side (the upload left, the original right), as long as the shorter one; sounds mixed.
        case duet
        /// Up to `stitchSeconds` of the original, then the upload.
        case stitch
    }
    public var kind: Kind
    /// The original's MP4 fallback.
    public var sourcePath: String
    public var source: ProbedMedia

    public static let stitchSeconds = 5.0
    /// The composed frame: 720×1280, each duet half 360×640 centred in it.
    public static let width = 720, height = 1280, fps = 30.0

    public init(kind: Kind, sourcePath: String, source: ProbedMedia) {
        self.kind = kind
        self.sourcePath = sourcePath
        self.source = source
    }

    /// The composed clip as the ladder and the analysis see it.
    public func composed(upload: ProbedMedia) -> ProbedMedia {
        let millis: UInt64
        switch kind {
        case .duet: millis = min(upload.durationMillis, source.durationMillis)
        case .stitch: millis = stitchMillis + upload.durationMillis
        }
        return ProbedMedia(
            container: upload.container, durationMillis: millis, videoCodec: upload.videoCodec, width: Self.width, height: Self.height, fps: Self.fps,
            audioCodec: upload.hasAudio || source.hasAudio ? "aac" : nil)
    }

    var stitchMillis: UInt64 { min(UInt64(Self.stitchSeconds * 1000), source.durationMillis) }

    /// Filter-graph chains that end in `[vin]` (and `[ain]` when the result has sound). Input 0 is the upload,
    /// input 1 the original.
    func graph(upload: ProbedMedia) -> [String] {
        let w = Self.width, h = Self.height
        func fit(_ input: Int, _ fw: Int, _ fh: Int, _ label: String, trim: Double? = nil) -> String {
            let cut = trim.map { "trim=0:\($0),setpts=PTS-STARTPTS," } ?? ""
            return "[\(input):v]\(cut)scale=\(fw):\(fh):force_original_aspect_ratio=decrease,pad=\(fw):\(fh):(ow-iw)/2:(oh-ih)/2,setsar=1,fps=\(Int(Self.fps)),format=yuv420p[\(label)]"
        }
        let audio = "aformat=sample_rates=48000:channel_layouts=stereo"
        func silence(_ seconds: Double, _ label: String) -> String { "anullsrc=r=48000:cl=stereo,atrim=0:\(seconds)[\(label)]" }
        let uploadSeconds = Double(upload.durationMillis) / 1000
        switch kind {
        case .duet:
            var chains = [fit(0, w / 2, h / 2, "left"), fit(1, w / 2, h / 2, "right"), "[left][right]hstack=inputs=2:shortest=1,pad=\(w):\(h):0:(oh-ih)/2[vin]"]
            switch (upload.hasAudio, source.hasAudio) {
            case (true, true): chains.append("[0:a]\(audio)[ua];[1:a]\(audio)[sa];[ua][sa]amix=inputs=2:duration=shortest[ain]")
            case (true, false): chains.append("[0:a]\(audio)[ain]")
            case (false, true): chains.append("[1:a]\(audio),atrim=0:\(uploadSeconds)[ain]")
            case (false, false): break
            }
            return chains
        case .stitch:
            let first = Double(stitchMillis) / 1000
            var chains = [fit(1, w, h, "orig", trim: first), fit(0, w, h, "clip"), "[orig][clip]concat=n=2:v=1:a=0[vin]"]
            if upload.hasAudio || source.hasAudio {
                chains.append(source.hasAudio ? "[1:a]atrim=0:\(first),asetpts=PTS-STARTPTS,\(audio)[oa]" : silence(first, "oa"))
                chains.append(upload.hasAudio ? "[0:a]\(audio)[ca]" : silence(uploadSeconds, "ca"))
                chains.append("[oa][ca]concat=n=2:v=0:a=1[ain]")
            }
            return chains
        }
    }
}
