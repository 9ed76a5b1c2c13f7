/// Encrypts personal data under a per-person key (crypto-shredding). `KeyStore` is the default implementation.
public protocol PersonalDataCipher: Sendable {
    /// Encrypts `data.bytes` under `data.subject`'s key, creating the key if the person has none yet.
    /// Throws `.erased` if the person was erased (their key deleted): new personal data must not be written.
    func seal(_ data: PersonalData) throws(JournalError) -> [UInt8]
    /// Decrypts; returns nil when the subject's key was deleted (the data is erased).
    func open(subject: UInt64, sealed: [UInt8]) throws(JournalError) -> [UInt8]?
}
