import Core
import Foundation
import LAM
import Probing
import Training

/// A local pool of child processes, at most `jobs` at a time: how `lam sweep run` runs its runs.
public final class SweepPool: @unchecked Sendable {
  /// One child process: its arguments and the file its stderr is appended to.
  public struct Job: Sendable {
    public var index: Int
    public var arguments: [String]
    public var log: String

    public init(index: Int, arguments: [String], log: String) {
      self.index = index
      self.arguments = arguments
      self.log = log
    }
  }

  /// The pool's counts, reported whenever one of them changes.
  public struct Progress: Equatable, Sendable {
    public var total: Int
    public var done: Int
    public var running: Int
    public var failed: Int
    /// Estimated seconds left from the mean time of the runs finished so far; nil before the first.
    public var etaSeconds: Double?

    /// `runs: 12/30 done, 2 running, 1 failed, ETA 8m`.
    public var line: String {
      var text = "runs: \(done)/\(total) done, \(running) running, \(failed) failed"
      if let eta = etaSeconds { text += ", ETA \(SweepPool.duration(eta))" }
      return text
    }
  }

  /// The environment variable that gives a child the pool's pid: a child whose parent is gone (killed)
  /// stops at its next step instead of training on unwatched (`parentIsGone`).
  public static let parentVariable = "LAM_SWEEP_PARENT"

  /// True in a child of a pool whose pool process has exited.
  public static var parentIsGone: Bool {
    guard let parent = ProcessInfo.processInfo.environment[parentVariable].flatMap(pid_t.init) else { return false }
    return getppid() != parent
  }

  private let lock = NSCondition()
  private var exited: [(index: Int, status: Int32, seconds: Double)] = []
  private var processes: [Int: Process] = [:]

  public init() {}

  /// Runs every job through `executable` with at most `jobs` at once and returns each job's exit status by
  /// index. Child stdout is discarded (each run writes its own log); stderr is appended to the job's log.
  /// Once `shouldStop` returns true no new job starts and the running ones are sent SIGINT (they save a
  /// checkpoint and stop) and waited for.
  public func run(_ list: [Job], executable: String, jobs: Int, shouldStop: () -> Bool = { false },
                  onProgress: (Progress) -> Void) throws -> [Int: Int32] {
    var pending = list[...]
    var running: [Int: Double] = [:]  // index -> start time
    var status: [Int: Int32] = [:]
    var durations: [Double] = []
    var failed = 0
    let clock = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    func report() {
      let mean = durations.isEmpty ? nil : durations.reduce(0, +) / Double(durations.count)
      let left = Double(pending.count + running.count)
      onProgress(Progress(total: list.count, done: status.count - failed, running: running.count, failed: failed,
                          etaSeconds: left == 0 ? nil : mean.map { $0 * left / Double(max(1, min(jobs, pending.count + running.count))) }))
    }
    var changed = false
    var interrupted = false
    while !pending.isEmpty || !running.isEmpty {
      var started = false
      while running.count < max(1, jobs), !shouldStop(), let job = pending.first {
        pending.removeFirst()
        try start(job, executable: executable)
        running[job.index] = clock()
        started = true
      }
      if shouldStop() { pending.removeAll() }
      if started || changed { report() }
      guard !running.isEmpty else { break }
      lock.lock()
      while exited.isEmpty {
        _ = lock.wait(until: Date().addingTimeInterval(0.25))
        // Children run in their own process groups, so a Ctrl-C reaches only this process: pass it on once.
        if shouldStop() && !interrupted {
          interrupted = true
          processes.values.forEach { $0.interrupt() }
        }
      }
      let finished = exited
      exited.removeAll()
      lock.unlock()
      for (index, code, end) in finished {
        status[index] = code
        if code == 0 { durations.append(end - running[index]!) } else { failed += 1 }
        running[index] = nil
        processes[index] = nil
      }
      changed = !finished.isEmpty
    }
    if changed { report() }
    return status
  }

  private func start(_ job: Job, executable: String) throws {
    let fd = open(job.log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else { throw LamError("\(job.log): cannot open the run's log for appending") }
    let logHandle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = job.arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = logHandle
    process.standardInput = FileHandle.nullDevice
    process.environment = ProcessInfo.processInfo.environment.merging([SweepPool.parentVariable: String(getpid())]) { $1 }
    let index = job.index
    process.terminationHandler = { [weak self] p in
      guard let self else { return }
      self.lock.lock()
      self.exited.append((index, p.terminationStatus, Double(DispatchTime.now().uptimeNanoseconds) / 1e9))
      self.lock.signal()
      self.lock.unlock()
    }
    do { try process.run() } catch { throw LamError("\(executable): cannot start a run process (\(error))") }
    processes[index] = process
    try? logHandle.close()
  }

  /// `45s`, `8m`, `2h05m`.
  public static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\((s + 30) / 60)m" }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
  }
}
