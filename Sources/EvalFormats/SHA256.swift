internal import Crypto

/// SHA-256 (FIPS 180-4), used for the content hashes that identify a dataset's and a run's input.
/// Incremental: `update` any number of times, then `finalize`.
///
/// swift-crypto's (BoringSSL's assembly, with the CPU's SHA extensions where it has them): a 500 MB results file
/// hashes in a fraction of a second, where a Swift loop took two, longer than parsing the file beside it.
public struct SHA256: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    /// The hex digest of `bytes`.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(Array(bytes))
        return hasher.finalizeHex()
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { update($0) }
    }

    /// Feeds bytes from a buffer.
    public mutating func update(_ buffer: UnsafeBufferPointer<UInt8>) {
        hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
    }

    /// Feeds the UTF-8 bytes of a string.
    public mutating func update(_ text: String) { update(Array(text.utf8)) }

    /// Finishes and returns the 32-byte digest.
    public mutating func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }

    /// Finishes and returns the digest as 64 lowercase hex digits.
    public mutating func finalizeHex() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in finalize() {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
