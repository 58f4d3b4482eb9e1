import Core
import Dispatch
import Foundation

/// A `.npy` file written front to back: the header, then the data in pieces, hashed with SHA-256 as it
/// goes. A dataset's frames pass through it an episode chunk at a time, so they never need to be in memory
/// at once. For files inside a staging folder: no temporary file of its own.
final class NPYFileWriter {
  let path: String
  private let descriptor: Int32
  private var sha = SHA256()
  /// Data bytes the header promises and `append` has not written yet.
  private var remaining: Int

  /// Creates `path` (replacing a file there) and writes the header for `shape` of `descr`, which holds `dataBytes` bytes.
  init(path: String, descr: String, shape: [Int], dataBytes: Int) throws {
    self.path = path
    remaining = dataBytes
    descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw LamError("\(path): cannot create the file") }
    let head = NPY.header(descr: descr, shape: shape)
    try head.withUnsafeBytes { raw in
      sha.update(raw)
      try write(raw)
    }
  }

  deinit { close(descriptor) }

  /// Appends the next data bytes.
  func append(_ raw: UnsafeRawBufferPointer) throws {
    precondition(raw.count <= remaining, "\(path): more data than the .npy header promises")
    remaining -= raw.count
    // Hashing and writing only read the bytes, so they run side by side: SHA-256 of 500 MB of frames
    // takes about as long as writing them (~2 s each on the 2-core machine without SHA instructions).
    var hasher = sha
    var failure: Error?
    DispatchQueue.concurrentPerform(iterations: 2) { job in
      if job == 0 {
        hasher.update(raw)
      } else {
        do { try write(raw) } catch { failure = error }
      }
    }
    sha = hasher
    if let failure { throw failure }
  }

  /// Checks that every promised byte was written and returns the whole file's SHA-256 as hex.
  func finish() throws -> String {
    precondition(remaining == 0, "\(path): \(remaining) data bytes short of what the .npy header promises")
    return sha.finalizeHex()
  }

  private func write(_ raw: UnsafeRawBufferPointer) throws {
    guard let base = raw.baseAddress else { return }
    var done = 0
    while done < raw.count {
      let n = Foundation.write(descriptor, base + done, raw.count - done)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw LamError("\(path): cannot write (disk full?)") }
      done += n
    }
  }
}
