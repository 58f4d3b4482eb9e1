import Foundation

/// File operations that never leave a half-written file or folder behind, never replace what lam did not
/// make, and never touch a command's inputs (docs/reliability.md).
public enum Files {
  /// The file lam writes into every output folder it makes; `--force` replaces only folders that have it.
  public static let marker = ".lam-output"

  /// Writes `data` to `path` through a temporary file in the same folder and a rename, so a crash
  /// leaves either the old file or the new one, never a torn one. A failed write removes its temporary file.
  public static func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: dir) else {
      throw LamError("\(path): the folder \(dir) does not exist")
    }
    removeLeftovers(in: dir)
    let tmp = dir + "/" + leftoverName(url.lastPathComponent, .tmp)
    do {
      try data.write(to: URL(fileURLWithPath: tmp))
    } catch {
      unlink(tmp)
      throw LamError("\(path): cannot write (\(FileManager.default.isWritableFile(atPath: dir) ? "disk full?" : "folder not writable"))")
    }
    if rename(tmp, path) != 0 {
      let reason = String(cString: strerror(errno))
      unlink(tmp)
      throw LamError("\(path): cannot replace the file (rename failed: \(reason))")
    }
  }

  /// Builds a new output folder at `path` in one go: `body` fills a staging folder beside it (which
  /// carries the marker), and the staging folder replaces `path` only once `body` has returned. On any
  /// error the staging folder is removed and `path` is left as it was. `path` is checked first as
  /// `checkOutputFolder` does.
  public static func writeFolder<T>(
    _ path: String, force: Bool, inputs: [Input] = [], _ body: (_ staging: String) throws -> T
  ) throws -> T {
    try checkOutputFolder(path, force: force, inputs: inputs)
    let url = URL(fileURLWithPath: path)
    let parent = url.deletingLastPathComponent().path
    do {
      try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw LamError("\(path): cannot create the parent folder \(parent)")
    }
    removeLeftovers(in: parent)
    let staging = parent + "/" + leftoverName(url.lastPathComponent, .partial)
    try? FileManager.default.removeItem(atPath: staging)
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw LamError("\(path): cannot create a folder in \(parent) (not writable?)")
    }
    do {
      try markOutputFolder(staging)
      let result = try body(staging)
      try commitFolder(staging, to: path)
      return result
    } catch {
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
  }

  /// Moves a finished staging folder into place, replacing `path` only now that the new content is
  /// complete (the old folder is renamed aside first and removed after, never before).
  static func commitFolder(_ staging: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    var old: String? = nil
    if FileManager.default.fileExists(atPath: path) {
      let aside = url.deletingLastPathComponent().path + "/" + leftoverName(url.lastPathComponent, .old)
      guard rename(path, aside) == 0 else {
        throw LamError("\(path): cannot move the old folder aside (\(String(cString: strerror(errno))))")
      }
      old = aside
    }
    guard rename(staging, path) == 0 else {
      if let old { _ = rename(old, path) }
      throw LamError("\(path): cannot move the new folder into place (\(String(cString: strerror(errno))))")
    }
    if let old { try? FileManager.default.removeItem(atPath: old) }
  }

  /// Writes the marker that lets a later `--force` replace `folder`.
  public static func markOutputFolder(_ folder: String) throws {
    let path = folder + "/" + marker
    guard FileManager.default.createFile(atPath: path, contents: Data("made by lam; `--force` may replace this folder\n".utf8)) else {
      throw LamError("\(path): cannot write (folder not writable?)")
    }
  }

  // MARK: - Inputs and outputs

  /// A file or folder a command reads, and the flag that named it (for messages).
  public struct Input: Sendable {
    public var path: String
    public var flag: String
    public init(_ path: String, flag: String) {
      self.path = path
      self.flag = flag
    }
  }

  /// Checks that a command may create or replace the output folder `path`: it must not be, contain or lie
  /// inside any of `inputs`; if it exists and is not empty, it must carry lam's marker and `force` must be set.
  /// `alternative` is added to the "already exists" message (", or --resume to continue it").
  public static func checkOutputFolder(_ path: String, force: Bool, inputs: [Input], alternative: String = "") throws {
    try checkApart(path, from: inputs)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
    guard isFolder.boolValue else { throw LamError("\(path): exists and is a file, not a folder lam made") }
    // A lock file alone is what a process killed while creating the folder leaves: the folder is empty.
    let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != FolderLock.file }
    guard !entries.isEmpty else { return }
    guard force else { throw LamError("\(path): already exists (pass --force to replace it\(alternative))") }
    guard entries.contains(marker) else {
      throw LamError("\(path): --force replaces only folders lam made (no \(marker) inside); remove it yourself or choose another output")
    }
  }

  /// Checks that a command may write the single file `path`: it is not one of `inputs` nor inside one;
  /// if it exists, `force` must be set and `isReplaceable` must accept its first bytes (lam replaces only
  /// files of the kind it writes there).
  public static func checkOutputFile(
    _ path: String, force: Bool, inputs: [Input], kind: String, isReplaceable: (Data) -> Bool
  ) throws {
    try checkApart(path, from: inputs, folderOutput: false)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
    guard !isFolder.boolValue else { throw LamError("\(path): is a folder (expected a file path)") }
    guard force else { throw LamError("\(path): already exists (pass --force to replace it)") }
    let head = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 16) } ?? Data()
    guard isReplaceable(head) else {
      throw LamError("\(path): --force replaces only \(kind) files, and this is not one; remove it yourself or choose another path")
    }
  }

  /// Throws if the output `path` is one of `inputs`, contains one (a folder output) or lies inside one.
  static func checkApart(_ path: String, from inputs: [Input], folderOutput: Bool = true) throws {
    let output = canonicalPath(path)
    for input in inputs {
      let source = canonicalPath(input.path)
      let relation: String
      if output == source {
        relation = "is"
      } else if folderOutput && isInside(source, output) {
        relation = "contains"
      } else if isInside(output, source) {
        relation = "lies inside"
      } else {
        continue
      }
      throw LamError("\(path): the output \(relation) the input \(input.flag) \(input.path); lam never writes over its inputs, choose another output")
    }
  }

  /// `path` made absolute with symbolic links resolved as far as the path exists, so that two names of
  /// one file compare equal.
  public static func canonicalPath(_ path: String) -> String {
    var url = URL(fileURLWithPath: path).standardizedFileURL
    var tail: [String] = []
    while !FileManager.default.fileExists(atPath: url.path) && url.path != "/" {
      tail.insert(url.lastPathComponent, at: 0)
      url = url.deletingLastPathComponent()
    }
    var base = url.path
    if let resolved = realpath(url.path, nil) {
      base = String(cString: resolved)
      free(resolved)
    }
    return tail.reduce(base) { $0.hasSuffix("/") ? $0 + $1 : $0 + "/" + $1 }
  }

  /// Whether `path` lies strictly inside the folder `folder` (both canonical).
  static func isInside(_ path: String, _ folder: String) -> Bool {
    path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
  }

  // MARK: - Leftovers of killed processes

  /// The kinds of temporary names: a file being written, a folder being built, a folder being replaced.
  enum Leftover: String, CaseIterable { case tmp, partial, old }

  /// `.NAME.KIND-PID`: hidden, and naming the process that owns it.
  static func leftoverName(_ name: String, _ kind: Leftover) -> String {
    ".\(name).\(kind.rawValue)-\(getpid())"
  }

  private static let cleaned = Mutex<Set<String>>([])

  /// Removes the temporary files and folders in `folder` whose process is gone (killed while writing);
  /// each folder is scanned once per process.
  public static func removeLeftovers(in folder: String) {
    guard cleaned.withLock({ $0.insert(folder).inserted }) else { return }
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for entry in entries where entry.hasPrefix(".") {
      guard let dash = entry.lastIndex(of: "-"), let pid = pid_t(entry[entry.index(after: dash)...]),
            Leftover.allCases.contains(where: { entry[..<dash].hasSuffix(".\($0.rawValue)") }),
            !isAlive(pid)
      else { continue }
      try? FileManager.default.removeItem(atPath: folder + "/" + entry)
    }
  }

  /// Whether a process `pid` exists (this one counts as alive).
  static func isAlive(_ pid: pid_t) -> Bool {
    pid > 0 && (pid == getpid() || kill(pid, 0) == 0 || errno == EPERM)
  }
}

/// A value behind a lock, for the little shared state the file helpers keep.
final class Mutex<Value>: @unchecked Sendable {
  private var value: Value
  private let lock = NSLock()
  init(_ value: Value) { self.value = value }
  func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
