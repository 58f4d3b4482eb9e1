import Core
import Foundation

/// A dataset's frames, uint8 [E, T+1, C, H, W] as one flat run of bytes: held in memory (generated data,
/// tests) or read on demand from a frames.npy file, so a dataset larger than memory can be trained on.
///
/// File reads use pread into the caller's buffers rather than mmap: a touched mmap page counts in the
/// process's resident memory, while pread goes through the page cache, which the kernel drops as needed.
/// `appending` joins stores (a run's dataset and an evaluation dataset) part after part, without copying.
public struct FrameStore: Sendable {
  /// Bytes in all parts.
  public let count: Int
  private let parts: [Part]

  private enum Part: Sendable {
    case memory([UInt8])
    case file(FrameFile)

    var count: Int {
      switch self {
      case .memory(let bytes): bytes.count
      case .file(let file): file.count
      }
    }
  }

  /// Frames held in memory.
  public init(_ bytes: [UInt8]) {
    self.init(parts: [.memory(bytes)])
  }

  /// Frames of at most this many bytes are read into memory when a dataset is loaded: a read per
  /// transition costs a system call, 5-10% of an mlp training step on 4x4 frames (batch 64), and
  /// the paper's 4x4 datasets are a few MB. Larger frames are read on demand.
  public static let inMemoryBytes = 64 << 20

  /// Frames read on demand from `file`.
  init(file: FrameFile) {
    self.init(parts: [.file(file)])
  }

  private init(parts: [Part]) {
    self.parts = parts
    count = parts.reduce(0) { $0 + $1.count }
  }

  /// Whether every byte is held in memory (nothing is read from a file).
  public var isInMemory: Bool {
    parts.allSatisfy { if case .memory = $0 { true } else { false } }
  }

  /// This store's bytes followed by `other`'s.
  public func appending(_ other: FrameStore) -> FrameStore {
    FrameStore(parts: parts + other.parts)
  }

  /// Copies bytes `range` (within 0..<count) into `out`.
  public func copy(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt8>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "frame bytes \(range) out of range 0..<\(count)")
    var start = 0
    for part in parts {
      let piece = range.clamped(to: start..<(start + part.count))
      if !piece.isEmpty {
        let local = (piece.lowerBound - start)..<(piece.upperBound - start)
        let target = out + (piece.lowerBound - range.lowerBound)
        switch part {
        case .memory(let bytes): bytes.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + local.lowerBound, count: local.count) }
        case .file(let file): file.read(local, into: target)
        }
      }
      start += part.count
    }
  }

  /// Calls `body` with bytes `range`: in place when they are in memory, otherwise read into a temporary buffer.
  public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "frame bytes \(range) out of range 0..<\(count)")
    var start = 0
    for part in parts {
      if case .memory(let bytes) = part, range.lowerBound >= start, range.upperBound <= start + bytes.count {
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[(range.lowerBound - start)..<(range.upperBound - start)])) }
      }
      start += part.count
    }
    return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: range.count) { buffer in
      if let base = buffer.baseAddress { copy(range, into: base) }
      return try body(UnsafeBufferPointer(buffer))
    }
  }

  /// Throws the first read of a frames file that failed since it was loaded (the file was cut short or the
  /// disk failed; the bytes missing were read as 0). Callers check after reading frames and before saving
  /// what they computed from them, so nothing built from a damaged read reaches the disk.
  public func checkReads() throws {
    for part in parts {
      if case .file(let file) = part, let message = file.failure { throw LamError(message) }
    }
  }

  /// Bytes `range` as an array.
  public subscript(range: Range<Int>) -> [UInt8] {
    withBytes(range) { Array($0) }
  }

  /// Byte `index`.
  public subscript(index: Int) -> UInt8 {
    withBytes(index..<(index + 1)) { $0[0] }
  }
}

/// An open frames file whose `count` data bytes start at `offset`; closed when the last store holding it goes.
final class FrameFile: @unchecked Sendable {
  let path: String
  let offset: Int
  let count: Int
  private let descriptor: Int32
  private let lock = NSLock()
  private var firstFailure: String?  // guarded by lock

  private init(path: String, descriptor: Int32, offset: Int, count: Int) {
    self.path = path
    self.descriptor = descriptor
    self.offset = offset
    self.count = count
  }

  /// Opens `path`, whose header and size the caller has just written.
  convenience init(written path: String, offset: Int, count: Int) throws {
    let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw LamError("\(path): cannot read the file") }
    self.init(path: path, descriptor: fd, offset: offset, count: count)
  }

  deinit { close(descriptor) }

  /// Reads data bytes `range` into `out`.
  func read(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt8>) {
    let got = max(0, readFully(descriptor, at: offset + range.lowerBound, count: range.count, into: out))
    guard got < range.count else { return }
    // The file had every byte when it was opened; fewer now means it was cut short or the disk failed. The
    // bytes missing read as 0 and the failure is kept: readers call `FrameStore.checkReads` before they save
    // anything computed from frames, and stop there with this message.
    (out + got).update(repeating: 0, count: range.count - got)
    lock.withLock {
      if firstFailure == nil {
        firstFailure = "\(path): cannot read data bytes \(range.lowerBound)..<\(range.upperBound): the file was cut short "
          + "or changed after it was loaded, or the disk failed"
      }
    }
  }

  /// The first failed read's message, if any read failed.
  var failure: String? { lock.withLock { firstFailure } }
}

extension FrameFile {
  /// The most bytes read for a .npy header: np.save writes 128 here, and NumPy refuses more than 10000 by default.
  static let maxHeaderBytes = 1 << 20
  /// The piece size in which a file is hashed.
  static let hashPieceBytes = 4 << 20

  /// Opens a dataset's frames.npy: its header must say uint8 with `shape` and the file must be exactly as
  /// long as the header promises. Returns its frames, read into memory if they are at most `inMemoryUpTo`
  /// bytes and read on demand otherwise, with the hash of the whole file, read in pieces (memory stays
  /// bounded whatever the file's size).
  static func open(_ path: String, shape: [Int], hash algorithm: DatasetHash, inMemoryUpTo limit: Int) throws
    -> (frames: FrameStore, hash: String)
  {
    let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw LamError("\(path): cannot read the file") }
    var keep = false
    defer { if !keep { close(fd) } }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw LamError("\(path): cannot read the file (not a regular file)") }
    let size = Int(info.st_size)

    var head = Data(count: min(size, maxHeaderBytes))
    let got = head.withUnsafeMutableBytes { readFully(fd, at: 0, count: $0.count, into: $0.baseAddress) }
    guard got == head.count else { throw LamError("\(path): cannot read the file") }
    let (descr, fileShape, offset) = try NPY.parseHeader(head, fileSize: size, source: path)
    guard descr == UInt8.npyDescr else {
      throw LamError("\(path): expected dtype \(UInt8.npyName) ('\(UInt8.npyDescr)'), found '\(descr)'")
    }
    // parseHeader has checked that the element count fits in an Int.
    let expectedBytes = fileShape.reduce(1, *)
    let found = size - offset
    guard found == expectedBytes else {
      let what = found < expectedBytes ? "truncated" : "has trailing bytes"
      throw LamError("\(path): \(what): shape \(NPY.shapeString(fileShape)) needs \(expectedBytes) data bytes, found \(found)")
    }
    guard fileShape == shape else {
      throw LamError("\(path): shape \(NPY.shapeString(fileShape)) does not match dataset.json (expected \(NPY.shapeString(shape)))")
    }

    var hasher = algorithm.fileHasher()
    let piece = UnsafeMutableRawPointer.allocate(byteCount: hashPieceBytes, alignment: 64)
    defer { piece.deallocate() }
    var at = 0
    while at < size {
      let n = readFully(fd, at: at, count: min(hashPieceBytes, size - at), into: piece)
      guard n > 0 else { throw LamError("\(path): cannot read the file") }
      hasher.update(UnsafeRawBufferPointer(start: piece, count: n))
      at += n
    }
    if expectedBytes <= limit {
      let bytes = try [UInt8](unsafeUninitializedCapacity: expectedBytes) { buffer, initialized in
        guard readFully(fd, at: offset, count: expectedBytes, into: buffer.baseAddress) == expectedBytes else {
          throw LamError("\(path): cannot read the file")
        }
        initialized = expectedBytes
      }
      return (FrameStore(bytes), hasher.hex)
    }
    keep = true
    return (FrameStore(file: FrameFile(path: path, descriptor: fd, offset: offset, count: expectedBytes)), hasher.hex)
  }
}

/// Reads up to `count` bytes at `offset` of `fd` into `out`, retrying short reads; returns how many it got
/// (fewer only at the end of the file or on an error).
func readFully(_ fd: Int32, at offset: Int, count: Int, into out: UnsafeMutableRawPointer?) -> Int {
  guard let out else { return 0 }
  var done = 0
  while done < count {
    let n = pread(fd, out + done, count - done, off_t(offset + done))
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { break }
    done += n
  }
  return done
}
