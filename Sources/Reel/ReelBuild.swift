/// What build of Reel is running: recorded in every served feed (`FeedServed.build`) so an audit can tell
/// which code chose a page, and reported by `reel --version`.
public enum ReelBuild {
    /// The release, bumped when one is cut.
    public static let version = "0.2.0"
    /// The release and how it was compiled: a debug build says so (it ranks the same, only slower).
    #if DEBUG
        public static let current = "\(version)-debug"
    #else
        public static let current = version
    #endif
}
