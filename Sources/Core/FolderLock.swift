import Foundation

/// One writer per folder: an exclusive `flock` on `.lam-lock` inside a run or sweep folder, held until
/// `unlock` or until the process ends (a killed process releases it too, so it never goes stale). The
/// file holds the holder's pid, which the refusal names.
public enum FolderLock {
  public static let file = ".lam-lock"

  // Canonical folder path -> the open descriptor that holds its lock. A process may lock a folder it
  // already holds (a sweep's runs trained in-process), so locking is re-entrant per process.
  private static let held = Mutex<[String: Int32]>([:])

  /// Takes the lock on the existing folder `folder`, or throws naming the process that holds it.
  public static func lock(_ folder: String) throws {
    let key = Files.canonicalPath(folder)
    try held.withLock { held in
      if held[key] != nil { return }
      let path = folder + "/" + file
      // Close-on-exec: processes this one starts must not inherit (and so keep) the lock.
      let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
      guard fd >= 0 else { throw LamError("\(path): cannot create the lock file (\(String(cString: strerror(errno))))") }
      // A child this process is starting holds a copy of every descriptor until its exec closes them, so a
      // lock this process just released can still be held by its own copy for a moment: wait that out.
      var attempts = 0
      while flock(fd, LOCK_EX | LOCK_NB) != 0 {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &bytes, bytes.count, 0)
        let pid = String(decoding: bytes.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        attempts += 1
        if pid == String(getpid()) && attempts < 500 {
          usleep(10_000)
          continue
        }
        close(fd)
        throw LamError("\(folder): another lam process (pid \(pid.isEmpty ? "unknown" : pid)) is writing this folder; wait for it to finish or stop it")
      }
      let text = Array("\(getpid())\n".utf8)
      _ = ftruncate(fd, 0)
      _ = pwrite(fd, text, text.count, 0)
      held[key] = fd
    }
  }

  /// Releases the lock on `folder` if this process holds it.
  public static func unlock(_ folder: String) {
    let key = Files.canonicalPath(folder)
    held.withLock { held in
      if let fd = held.removeValue(forKey: key) { close(fd) }
    }
  }
}
