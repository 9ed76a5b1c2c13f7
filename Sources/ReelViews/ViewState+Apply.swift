import ReelDomain
import ReelJournal

extension ViewState {
    func applyCatalogue(_ event: ReelEvent) {
        if isLane { return applyLaneCatalogue(event) }
        switch event {
        case .userRegistered(let e, _):
            users.set(e.user, CatalogueUser(handle: e.handle, region: e.region, erased: false))
        case .userProfileChanged(let e, _):
            users.update(e.user, initial: CatalogueUser()) {
                $0.handle = e.handle
                $0.region = e.region
            }
        case .userErased(let e):
            users.update(e.user, initial: CatalogueUser()) {
                $0 = CatalogueUser(handle: "", region: $0.region, erased: true)
            }
            creators.remove(e.user)
            // Their captions are their personal data (sealed, unreadable in a rebuild): cleared here too.
            for video in videos(by: e.user) {
                videos.update(video, initial: CatalogueVideo()) { $0.caption = "" }
                forgetHistory(of: video, in: videos)
            }
            let personTables: [any AnyKeyedTable] = [
                users, creators, personCounters, authoredComments, longTermInterest, sessionInterest, seen, followers, following, blocked,
                likes, saves,
            ]
            for table in personTables { forgetHistory(of: e.user, in: table) }
        case .creatorProfileUpdated(let e):
            creators.set(e.creator, CatalogueCreator(name: e.name, bio: e.bio))
        case .sessionStarted(let e):
            sessions.set(e.session, SessionInfo(viewer: e.viewer, region: UInt32(ViewKey.region(e.region))))
        case .sessionEnded(let e):
            sessions.remove(e.session)
        case .uploadStarted(let e):
            forgetFeatures(of: e.video)
            videos.set(e.video, CatalogueVideo(status: UInt32(VideoStatus.uploading.rawValue), creator: e.creator))
        case .uploadCompleted(let e):
            forgetFeatures(of: e.video)
            videos.update(e.video, initial: CatalogueVideo()) {
                $0.status = UInt32(VideoStatus.processing.rawValue)
                $0.creator = e.creator
                $0.caption = e.caption
                $0.hashtags = e.hashtags
                $0.sound = e.sound
                $0.source = e.source
            }
            for tag in e.hashtags { hashtagNames.set(ViewKey.hashtag(tag), Label(name: tag)) }
        case .processingSucceeded(let e):
            forgetFeatures(of: e.video)
            videos.update(e.video, initial: CatalogueVideo()) {
                $0.status = UInt32(VideoStatus.ready.rawValue)
                $0.durationMillis = e.durationMillis
                $0.renditions = e.renditions
                if e.sound != 0 || e.width != 0 { $0.sound = e.sound }
            }
        case .processingFailed(let e): setStatus(e.video, .failed)
        case .published(let e):
            videos.update(e.video, initial: CatalogueVideo()) {
                $0.status = UInt32(VideoStatus.published.rawValue)
                $0.publishedAt = e.occurredAt
            }
        case .rejected(let e): setStatus(e.video, .rejected)
        case .removed(let e): setStatus(e.video, .removed)
        case .restored(let e): setStatus(e.video, .published)
        default: return
        }
        onCatalogueChange?(event)
    }

    /// The second lane's catalogue: the same rows exist as in the main catalogue, with the same creator,
    /// hashtags and sound (what interest and trending read; a test compares them), nothing else.
    private func applyLaneCatalogue(_ event: ReelEvent) {
        switch event {
        case .sessionStarted(let e):
            sessions.set(e.session, SessionInfo(viewer: e.viewer, region: UInt32(ViewKey.region(e.region))))
        case .sessionEnded(let e): sessions.remove(e.session)
        case .uploadStarted(let e):
            forgetFeatures(of: e.video)
            videos.set(e.video, CatalogueVideo(creator: e.creator))
        case .uploadCompleted(let e):
            forgetFeatures(of: e.video)
            videos.update(e.video, initial: CatalogueVideo()) {
                $0.creator = e.creator
                $0.hashtags = e.hashtags
                $0.sound = e.sound
            }
        case .processingSucceeded(let e):
            forgetFeatures(of: e.video)
            videos.update(e.video, initial: CatalogueVideo()) { if e.sound != 0 || e.width != 0 { $0.sound = e.sound } }
        case .processingFailed(let e): videos.update(e.video, initial: CatalogueVideo()) { _ in }
        case .published(let e): videos.update(e.video, initial: CatalogueVideo()) { _ in }
        case .rejected(let e): videos.update(e.video, initial: CatalogueVideo()) { _ in }
        case .removed(let e): videos.update(e.video, initial: CatalogueVideo()) { _ in }
        case .restored(let e): videos.update(e.video, initial: CatalogueVideo()) { _ in }
        default: return
        }
    }

    /// The videos a creator made, ascending (a scan: only erasures ask).
    public func videos(by creator: UInt64) -> [UInt64] {
        var out: [UInt64] = []
        videos.forEachUnordered { key, v in if v.creator == creator { out.append(key) } }
        return out.sorted()
    }

    /// The row's older history is deleted at the next checkpoint, after that checkpoint wrote its state now:
    /// the row must be absent now or changed by the erasure being folded (so the checkpoint writes it).
    private func forgetHistory(of key: UInt64, in table: any AnyKeyedTable) {
        guard let index = tables.firstIndex(where: { $0 === table }) else { return }
        erasedRows[index, default: []].insert(key)
    }

    /// A comment leaves (deleted by its author, or taken down): only a standing comment counts down, so a
    /// second delete, or one of a comment never posted or already taken down, does not.
    private func dropComment(_ comment: UInt64, by author: UInt64, on video: UInt64) {
        var removed = false
        authoredComments.update(author, initial: AuthoredComments()) { removed = $0.remove(comment: comment) }
        if authoredComments[author]?.comments.isEmpty ?? false { authoredComments.remove(author) }
        guard removed else { return }
        videoCounters.update(video, initial: VideoCounters()) { $0.comments = $0.comments > 0 ? $0.comments - 1 : 0 }
    }

    private func setStatus(_ video: UInt64, _ status: VideoStatus) {
        videos.update(video, initial: CatalogueVideo()) { $0.status = UInt32(status.rawValue) }
    }

    func applyCounters(_ event: ReelEvent) {
        switch event {
        case .watched(let e):
            let firstWatch = !(seen[e.viewer]?.watched.contains(e.video) ?? false)
            videoCounters.update(e.video, initial: VideoCounters()) {
                $0.plays += 1
                if e.completed { $0.completions += 1 }
                if firstWatch { $0.uniqueViewers += 1 }
                if e.durationMillis > 0 { $0.watchFractionSum += Double(e.watchMillis) / Double(e.durationMillis) }
            }
        case .skipped(let e):
            videoCounters.update(e.video, initial: VideoCounters()) {
                $0.plays += 1
                if e.durationMillis > 0 { $0.watchFractionSum += Double(e.watchedMillis) / Double(e.durationMillis) }
            }
        case .liked(let e):
            // A viewer likes a video at most once, whatever the session: the likes list (applied after
            // counters) tells whether this one is new.
            guard !(likes[e.viewer]?.contains(e.video) ?? false) else { return }
            videoCounters.update(e.video, initial: VideoCounters()) { $0.likes += 1 }
            personCounters.update(e.creator, initial: PersonCounters()) { $0.totalLikes += 1 }
        case .unliked(let e):
            guard likes[e.viewer]?.contains(e.video) ?? false else { return }
            dropLike(video: e.video, creator: e.creator)
        case .shared(let e): videoCounters.update(e.video, initial: VideoCounters()) { $0.shares += 1 }
        case .saved(let e):
            guard !(saves[e.viewer]?.contains(e.video) ?? false) else { return }
            videoCounters.update(e.video, initial: VideoCounters()) { $0.saves += 1 }
        case .commented(let e):
            videoCounters.update(e.video, initial: VideoCounters()) { $0.comments += 1 }
            authoredComments.update(e.viewer, initial: AuthoredComments()) { $0.insert(comment: e.comment, video: e.video) }
        case .commentDeleted(let e): dropComment(e.comment, by: e.viewer, on: e.video)
        case .moderationDecided(let e) where e.target == .comment && e.action == .takedown:
            dropComment(e.id, by: e.subject, on: e.video)
        case .notInterested(let e): videoCounters.update(e.video, initial: VideoCounters()) { $0.notInterested += 1 }
        case .followed(let e):
            // The social graph (applied after counters) tells whether this is a new edge.
            guard !(following[e.user]?.contains(e.creator) ?? false) else { return }
            personCounters.update(e.creator, initial: PersonCounters()) { $0.followers += 1 }
            personCounters.update(e.user, initial: PersonCounters()) { $0.following += 1 }
        case .unfollowed(let e): dropFollowCounts(user: e.user, creator: e.creator)
        case .blocked(let e): dropFollowCounts(user: e.user, creator: e.creator)
        case .userErased(let e):
            // An erased person's comments, follows and followers stop counting; their own counters go.
            if let authored = authoredComments[e.user] {
                for video in authored.videos {
                    videoCounters.update(video, initial: VideoCounters()) { $0.comments = $0.comments > 0 ? $0.comments - 1 : 0 }
                }
                authoredComments.remove(e.user)
            }
            for creator in following[e.user]?.ids ?? [] { dropFollowCounts(user: e.user, creator: creator) }
            for follower in followers[e.user]?.ids ?? [] { dropFollowCounts(user: follower, creator: e.user) }
            // Their likes and saves stop counting too (the creator of each liked video from the catalogue).
            for video in likes[e.user]?.ids ?? [] { dropLike(video: video, creator: videos[video]?.creator ?? 0) }
            for video in saves[e.user]?.ids ?? [] {
                videoCounters.update(video, initial: VideoCounters()) { $0.saves = $0.saves > 0 ? $0.saves - 1 : 0 }
            }
            personCounters.remove(e.user)
        default: return
        }
    }

    private func dropLike(video: UInt64, creator: UInt64) {
        videoCounters.update(video, initial: VideoCounters()) { $0.likes = $0.likes > 0 ? $0.likes - 1 : 0 }
        guard creator != 0 else { return }
        personCounters.update(creator, initial: PersonCounters()) { $0.totalLikes = $0.totalLikes > 0 ? $0.totalLikes - 1 : 0 }
    }

    private func dropFollowCounts(user: UInt64, creator: UInt64) {
        guard following[user]?.contains(creator) ?? false else { return }
        personCounters.update(creator, initial: PersonCounters()) { $0.followers -= 1 }
        personCounters.update(user, initial: PersonCounters()) { $0.following -= 1 }
    }

    /// Interest signals: positive for watch fraction, completion, loops, likes, shares and saves; negative for
    /// quick skips and "not interested". Each goes to the video's hashtags, creator and sound.
    func applyInterest(_ event: ReelEvent, longTerm: Bool = true, session: Bool = true) {
        let viewer: UInt64
        let video: UInt64
        let signal: Float
        let t = event.occurredAt.milliseconds
        switch event {
        case .sessionStarted(let e):
            if session { sessionInterest.remove(e.viewer) }
            return
        case .userErased(let e):
            if longTerm { longTermInterest.remove(e.user) }
            if session { sessionInterest.remove(e.user) }
            return
        case .watched(let e):
            viewer = e.viewer
            video = e.video
            let fraction = e.durationMillis == 0 ? 0 : min(1, Float(e.watchMillis) / Float(e.durationMillis))
            signal = fraction + (e.completed ? 0.5 : 0) + 0.3 * Float(min(e.loops, 5))
        case .skipped(let e):
            viewer = e.viewer
            video = e.video
            let quick = e.watchedMillis < 2000 || (e.durationMillis > 0 && e.watchedMillis * 5 < e.durationMillis)
            guard quick else { return }
            signal = -0.5
        case .liked(let e): (viewer, video, signal) = (e.viewer, e.video, 1)
        case .shared(let e): (viewer, video, signal) = (e.viewer, e.video, 1.5)
        case .saved(let e): (viewer, video, signal) = (e.viewer, e.video, 1)
        case .notInterested(let e): (viewer, video, signal) = (e.viewer, e.video, -2)
        default: return
        }
        guard let v = features(of: video) else { return }
        // The video's hashtags, then its creator, then its sound (the order profiles have always been fed).
        func feed(_ p: inout InterestProfile, halfLife: Double) {
            for tag in v.hashtags {
                p.add(ViewKey.feature(.hashtag, tag), signal, atMillis: t, halfLifeMillis: halfLife)
            }
            p.add(ViewKey.feature(.creator, v.creator), signal, atMillis: t, halfLifeMillis: halfLife)
            if v.sound != 0 { p.add(ViewKey.feature(.sound, v.sound), signal, atMillis: t, halfLifeMillis: halfLife) }
        }
        if longTerm { longTermInterest.update(viewer, initial: InterestProfile()) { feed(&$0, halfLife: Self.longTermHalfLifeMillis) } }
        if session { sessionInterest.update(viewer, initial: InterestProfile()) { feed(&$0, halfLife: Self.sessionHalfLifeMillis) } }
    }

    func applySeen(_ event: ReelEvent) {
        switch event {
        case .watched(let e): seen.update(e.viewer, initial: SeenVideos()) { $0.watched.insert(e.video) }
        case .skipped(let e): seen.update(e.viewer, initial: SeenVideos()) { $0.watched.insert(e.video) }
        case .feedServed(let e):
            seen.update(e.viewer, initial: SeenVideos()) { s in for item in e.items { s.served.insert(item.video) } }
        case .userErased(let e): seen.remove(e.user)
        default: return
        }
    }

    /// Trending weights: a play counts its watch fraction, a like 2, a share 4, a save 2, a comment 2.
    func applyTrending(_ event: ReelEvent) {
        let session: UInt64
        let video: UInt64
        let weight: Double
        switch event {
        case .watched(let e):
            (session, video) = (e.session, e.video)
            weight = e.durationMillis == 0 ? 0 : min(2, Double(e.watchMillis) / Double(e.durationMillis))
        case .skipped(let e): (session, video, weight) = (e.session, e.video, 0.05)
        case .liked(let e): (session, video, weight) = (e.session, e.video, 2)
        case .shared(let e): (session, video, weight) = (e.session, e.video, 4)
        case .saved(let e): (session, video, weight) = (e.session, e.video, 2)
        case .commented(let e): (session, video, weight) = (e.session, e.video, 2)
        default: return
        }
        guard weight > 0, let v = features(of: video) else { return }
        let region = UInt16(truncatingIfNeeded: sessions[session]?.region ?? 0)
        let g = DecayedScore.Growth(atMillis: event.occurredAt.milliseconds)
        func add(_ r: UInt16) {
            trendingVideos.update(ViewKey.regional(r, video), initial: DecayedScore()) { $0.add(weight, g) }
            for tag in v.hashtags {
                trendingHashtags.update(ViewKey.regional(r, tag), initial: DecayedScore()) { $0.add(weight, g) }
            }
            if v.sound != 0 {
                trendingSounds.update(ViewKey.regional(r, v.sound), initial: DecayedScore()) { $0.add(weight, g) }
            }
        }
        // Every region's score also feeds the global one (region 0).
        add(region)
        if region != 0 { add(0) }
    }

    func applySocial(_ event: ReelEvent) {
        switch event {
        case .followed(let e):
            following.update(e.user, initial: IDList()) { $0.insert(e.creator) }
            followers.update(e.creator, initial: IDList()) { $0.insert(e.user) }
        case .unfollowed(let e):
            following.update(e.user, initial: IDList()) { $0.remove(e.creator) }
            followers.update(e.creator, initial: IDList()) { $0.remove(e.user) }
        case .blocked(let e):
            blocked.update(e.user, initial: IDList()) { $0.insert(e.creator) }
            following.update(e.user, initial: IDList()) { $0.remove(e.creator) }
            followers.update(e.creator, initial: IDList()) { $0.remove(e.user) }
        case .liked(let e): likes.update(e.viewer, initial: IDList()) { $0.insert(e.video) }
        case .unliked(let e):
            likes.update(e.viewer, initial: IDList()) { $0.remove(e.video) }
            if likes[e.viewer]?.ids.isEmpty ?? false { likes.remove(e.viewer) }
        case .saved(let e): saves.update(e.viewer, initial: IDList()) { $0.insert(e.video) }
        case .userErased(let e):
            likes.remove(e.user)
            saves.remove(e.user)
            // An erased person leaves no trace in others' lists (their own audience list goes with them).
            for creator in following[e.user]?.ids ?? [] {
                followers.update(creator, initial: IDList()) { $0.remove(e.user) }
            }
            for follower in followers[e.user]?.ids ?? [] {
                following.update(follower, initial: IDList()) { $0.remove(e.user) }
            }
            following.remove(e.user)
            followers.remove(e.user)
            blocked.remove(e.user)
        default: return
        }
    }
}
