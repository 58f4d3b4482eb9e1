import Core
import Foundation

/// How a dataset's array files and its content hash are hashed, named by dataset.json's `hashAlgorithm`.
///
/// Format version 2 uses SHA-256 so standard tools verify a dataset: an array's hash is `sha256sum` of its
/// whole .npy file, and the content hash is the SHA-256 of `sha256sum`'s output for all array files, in the
/// byte order of their names (docs/environments.md has the one-liner). Format version 1 used the 64-bit
/// `ContentHash`; it is kept only to read and verify such datasets.
public enum DatasetHash: String, Codable, Hashable, Sendable {
  case sha256
  /// Format version 1's 64-bit checksum (16 hex digits), read only.
  case checksum64 = "lam-checksum64"

  /// The array files in the order the content hash takes them: the byte order of their names, as dataset.json
  /// lists them (format 2), or `Dataset.arrayNames`' order (format 1).
  public var contentOrder: [String] {
    switch self {
    case .sha256: Dataset.arrayNames.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    case .checksum64: Dataset.arrayNames
    }
  }

  /// The hash of a whole array file's bytes, as lowercase hex (64 digits for sha256, 16 for checksum64).
  public func ofFile(_ data: Data) -> String {
    var hasher = fileHasher()
    data.withUnsafeBytes { hasher.update($0) }
    return hasher.hex
  }

  /// A hasher for a file read in pieces.
  public func fileHasher() -> FileHasher {
    switch self {
    case .sha256: FileHasher(state: .sha256(SHA256()))
    case .checksum64: FileHasher(state: .checksum64(ContentHash.Sum()))
    }
  }

  /// `ofFile` of a file fed in order in pieces; every piece but the last must be a whole number of 8-byte
  /// words (ContentHash's rule; SHA-256 takes pieces of any size).
  public struct FileHasher {
    fileprivate enum State { case sha256(SHA256), checksum64(ContentHash.Sum) }
    fileprivate var state: State

    public mutating func update(_ raw: UnsafeRawBufferPointer) {
      switch state {
      case .sha256(var sha):
        sha.update(raw)
        state = .sha256(sha)
      case .checksum64(var sum):
        sum.add(raw)
        state = .checksum64(sum)
      }
    }

    /// The hash of everything fed so far, as lowercase hex.
    public var hex: String {
      switch state {
      case .sha256(let sha): sha.finalizeHex()
      case .checksum64(let sum): ContentHash.hex(sum.value)
      }
    }
  }

  /// The dataset's content hash from every array file's hash (keyed by array name, as this algorithm writes them).
  public func content(_ fileHashes: [String: String]) -> String {
    switch self {
    case .sha256:
      SHA256.hex(of: Data(DatasetHash.sha256sumListing(fileHashes).utf8))
    case .checksum64:
      ContentHash.hex(ContentHash.combine(contentOrder.map { UInt64(fileHashes[$0] ?? "", radix: 16) ?? 0 }))
    }
  }

  /// What `sha256sum actions.npy agent_pos.npy ...` prints inside the dataset folder: one line
  /// `<hash>  <name>.npy` per array file, in `contentOrder`. The content hash is its SHA-256.
  public static func sha256sumListing(_ fileHashes: [String: String]) -> String {
    DatasetHash.sha256.contentOrder.map { "\(fileHashes[$0] ?? "")  \($0).npy\n" }.joined()
  }
}
