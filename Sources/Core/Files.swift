import Foundation

/// File operations that never leave a half-written file or folder behind.
public enum Files {
  /// Writes `data` to `path` through a temporary file in the same folder and a rename, so a crash
  /// leaves either the old file or the new one, never a torn one.
  public static func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: dir) else {
      throw LamError("\(path): the folder \(dir) does not exist")
    }
    let tmp = dir + "/.\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)"
    do {
      try data.write(to: URL(fileURLWithPath: tmp))
    } catch {
      throw LamError("\(path): cannot write (\(FileManager.default.isWritableFile(atPath: dir) ? "write failed" : "folder not writable"))")
    }
    if rename(tmp, path) != 0 {
      unlink(tmp)
      throw LamError("\(path): cannot replace the file (rename failed: \(String(cString: strerror(errno))))")
    }
  }

  /// Creates a temporary sibling folder of `path` for building a new output folder in; pass it to
  /// `commitFolder` when complete. Refuses up front when `path` exists and `force` is false.
  public static func stagingFolder(for path: String, force: Bool) throws -> String {
    let fm = FileManager.default
    if fm.fileExists(atPath: path) && !force {
      throw LamError("\(path): already exists (pass --force to replace it)")
    }
    let url = URL(fileURLWithPath: path)
    let parent = url.deletingLastPathComponent().path
    do {
      try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
    } catch {
      throw LamError("\(path): cannot create the parent folder \(parent)")
    }
    let staging = parent + "/.\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)"
    try? fm.removeItem(atPath: staging)
    do {
      try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw LamError("\(path): cannot create a folder in \(parent) (not writable?)")
    }
    return staging
  }

  /// Moves a finished staging folder into place, replacing `path` only now that the new content is
  /// complete (the old folder is removed after the new one is renamed aside, never before).
  public static func commitFolder(_ staging: String, to path: String) throws {
    let fm = FileManager.default
    var old: String? = nil
    if fm.fileExists(atPath: path) {
      let aside = path + ".old-\(ProcessInfo.processInfo.processIdentifier)"
      guard rename(path, aside) == 0 else {
        throw LamError("\(path): cannot move the old folder aside (\(String(cString: strerror(errno))))")
      }
      old = aside
    }
    guard rename(staging, path) == 0 else {
      if let old { _ = rename(old, path) }
      throw LamError("\(path): cannot move the new folder into place (\(String(cString: strerror(errno))))")
    }
    if let old { try? fm.removeItem(atPath: old) }
  }
}
