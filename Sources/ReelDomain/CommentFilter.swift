import Foundation
import ReelRuntime

/// Whether a comment contains a filtered word or phrase: the platform's list (`server.blockedCommentWords`)
/// or a creator's own. Pure, so a test (or an audit) can repeat any verdict.
///
/// Text and words are compared folded (case and diacritics ignored). A single word matches whole words of
/// the text ("ass" does not match "class"); a phrase with spaces matches anywhere, across word boundaries.
public enum CommentFilter {
    /// The first word of `words` that `text` contains, or nil.
    public static func firstMatch(in text: String, words: [String]) -> String? {
        guard !words.isEmpty else { return nil }
        let folded = fold(text)
        let tokens = Set(folded.split { !$0.isLetter && !$0.isNumber }.map(String.init))
        let spaced = " " + folded.split { !$0.isLetter && !$0.isNumber }.joined(separator: " ") + " "
        for word in words {
            let w = fold(word).split { !$0.isLetter && !$0.isNumber }.joined(separator: " ")
            guard !w.isEmpty else { continue }
            if w.contains(" ") ? spaced.contains(" \(w) ") : tokens.contains(w) { return word }
        }
        return nil
    }

    /// Lower case without diacritics (so "Ídiot" is "idiot").
    static func fold(_ s: String) -> String {
        s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    /// A filter list as a creator or an operator writes it: trimmed, no blanks or repeats; nil with the
    /// reason when it breaks a limit. Repeats are found folded ("Ugly" and "ugly" are one word).
    public static func normalised(_ words: [String]) -> Result<[String], CommandRejected> {
        var out: [String] = []
        for raw in words {
            let w = raw.trimmingCharacters(in: .whitespaces)
            guard !w.isEmpty else { continue }
            guard w.count <= CreatorCommentFilterSet.maxWordLength, !w.contains(where: \.isNewline) else {
                return .failure(
                    CommandRejected(
                        "invalidFilter",
                        "each filtered word is 1–\(CreatorCommentFilterSet.maxWordLength) characters on one line"))
            }
            if !out.contains(where: { fold($0) == fold(w) }) { out.append(w) }
        }
        guard out.count <= CreatorCommentFilterSet.maxWords else {
            return .failure(
                CommandRejected("invalidFilter", "at most \(CreatorCommentFilterSet.maxWords) filtered words"))
        }
        return .success(out)
    }
}
