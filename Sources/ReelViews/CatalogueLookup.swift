import ReelDomain
import Synchronization

/// The catalogue facts entities check while deciding, behind its own lock so that actors never wait for the
/// projection's fold: a copy of what `DomainLookup` needs, updated by the catalogue view as it changes.
public final class CatalogueLookup: DomainLookup {
    private struct Contents {
        var videos: [UInt64: VideoInfo] = [:]
        var users: Set<UInt64> = []
    }
    private let contents = Mutex(Contents())

    public func video(_ id: UInt64) -> VideoInfo? { contents.withLock { $0.videos[id] } }
    public func userExists(_ id: UInt64) -> Bool { contents.withLock { $0.users.contains(id) } }

    func update(_ event: ReelEvent, state: ViewState) {
        switch event {
        case .userRegistered(let e, _): contents.withLock { _ = $0.users.insert(e.user) }
        case .userErased(let e): contents.withLock { _ = $0.users.remove(e.user) }
        case .uploadStarted(let e as any HasVideo), .uploadCompleted(let e as any HasVideo), .processingSucceeded(let e as any HasVideo),
            .processingFailed(let e as any HasVideo), .published(let e as any HasVideo), .rejected(let e as any HasVideo),
            .removed(let e as any HasVideo):
            let info = state.videos[e.video].map(Self.info)
            contents.withLock { $0.videos[e.video] = info }
        default: return
        }
    }

    func reload(from state: ViewState) {
        var c = Contents()
        for k in state.users.sortedKeys where !(state.users[k]?.erased ?? true) { c.users.insert(k) }
        for k in state.videos.sortedKeys { c.videos[k] = state.videos[k].map(Self.info) }
        contents.withLock { $0 = c }
    }

    static func info(_ v: CatalogueVideo) -> VideoInfo {
        VideoInfo(status: v.videoStatus, creator: v.creator, durationMillis: v.durationMillis, sound: v.sound, hashtags: v.hashtags)
    }
}

protocol HasVideo { var video: UInt64 { get } }
extension UploadStarted: HasVideo {}
extension UploadCompleted: HasVideo {}
extension ProcessingSucceeded: HasVideo {}
extension ProcessingFailed: HasVideo {}
extension VideoPublished: HasVideo {}
extension VideoRejected: HasVideo {}
extension VideoRemoved: HasVideo {}
