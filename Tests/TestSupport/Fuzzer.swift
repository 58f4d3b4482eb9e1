import Foundation

/// A seeded fuzzer of the files and flags `lam` reads. Each case restores a fixture (a dataset, two trained
/// runs, configs, a sweep; see `FuzzFixture`), mutates one file or flag (`FuzzCase`), and runs the `lam`
/// commands that read it. A command may accept or reject its input; what it must never do is crash (a
/// signal or a Swift trap), hang, or reject with more than one line of error.
public enum Fuzzer {
  public struct Options {
    public var cases: Int
    public var seed: UInt64
    public var jobs: Int
    /// Run only this case and keep its mutated fixture for replaying by hand.
    public var onlyCase: Int?
    /// A command running longer than this is killed and counted as a hang.
    public var timeout: Double = 30
    /// Address-space limit of each `lam` process (ulimit -v): a hostile file that makes lam allocate
    /// without bound aborts in the allocator (a crash, reported) instead of taking the machine's memory.
    public var memoryLimitKB = 8 * 1024 * 1024

    public init(cases: Int, seed: UInt64, jobs: Int, onlyCase: Int? = nil) {
      self.cases = cases
      self.seed = seed
      self.jobs = jobs
      self.onlyCase = onlyCase
    }

    /// LAM_FUZZ_CASES (default 1000), LAM_FUZZ_SEED (1), LAM_FUZZ_JOBS (2), LAM_FUZZ_CASE (one case only).
    public static func fromEnvironment() -> Options {
      let env = ProcessInfo.processInfo.environment
      return Options(cases: env["LAM_FUZZ_CASES"].flatMap { Int($0) } ?? 1000,
                     seed: env["LAM_FUZZ_SEED"].flatMap { UInt64($0) } ?? 1,
                     jobs: max(1, env["LAM_FUZZ_JOBS"].flatMap { Int($0) } ?? 2),
                     onlyCase: env["LAM_FUZZ_CASE"].flatMap { Int($0) })
    }
  }

  /// Builds the fixture, runs the cases on `options.jobs` workers (each with its own copy of the fixture)
  /// and returns what happened. The result does not depend on the number of workers: case i's mutation
  /// depends only on the seed and i, and every case starts from the same bytes.
  public static func run(_ options: Options) throws -> FuzzSummary {
    let start = Date()
    let root = makeTemporaryFolder("fuzz")
    let fixtureFolder = root + "/fixture"
    try FileManager.default.createDirectory(atPath: fixtureFolder, withIntermediateDirectories: true)
    let builder = CommandRunner(lam: lamExecutable().path, stderrFile: root + "/build.stderr", options: options)
    let fixture = try FuzzFixture.build(in: fixtureFolder) { arguments in
      let run = try builder.run(arguments, in: fixtureFolder)
      return (run.status, run.stderr)
    }
    let built = Date()

    let indices = options.onlyCase.map { [$0] } ?? Array(0..<options.cases)
    let jobs = min(options.jobs, max(1, indices.count))
    let results = Results(count: indices.count)
    var failure: Error?
    let failureLock = NSLock()
    DispatchQueue.concurrentPerform(iterations: jobs) { worker in
      let folder = root + "/w\(worker)"
      let runner = CommandRunner(lam: lamExecutable().path, stderrFile: root + "/w\(worker).stderr", options: options)
      do {
        for slot in stride(from: worker, to: indices.count, by: jobs) {
          let drawing = Date()
          let fuzzCase = FuzzCase(seed: options.seed, index: indices[slot], fixture: fixture)
          let drawSeconds = Date().timeIntervalSince(drawing)
          var result = try runCase(fuzzCase, fixture: fixture, folder: folder, runner: runner)
          result.drawSeconds = drawSeconds
          results.set(slot, result)
        }
      } catch {
        failureLock.withLock { failure = failure ?? error }
      }
    }
    if let failure { throw failure }

    if let only = options.onlyCase {
      // Leave the mutated fixture for replaying the commands by hand.
      let fuzzCase = FuzzCase(seed: options.seed, index: only, fixture: fixture)
      try fixture.restore(into: root + "/w0")
      try FuzzFixture.apply(fuzzCase.mutation.edits, in: root + "/w0")
      print("lam fuzz: case \(only)'s mutated fixture is in \(root)/w0 (run its commands from there)")
    } else {
      try? FileManager.default.removeItem(atPath: root)
    }
    return FuzzSummary(options: options, results: results.all, fixtureSeconds: built.timeIntervalSince(start),
                       seconds: Date().timeIntervalSince(start))
  }

  static func runCase(_ fuzzCase: FuzzCase, fixture: FuzzFixture, folder: String, runner: CommandRunner) throws -> CaseResult {
    let started = Date()
    try fixture.restore(into: folder)
    try FuzzFixture.apply(fuzzCase.mutation.edits, in: folder)
    let restored = Date()
    let runs = try fuzzCase.commands.map { try runner.run($0, in: folder) }
    return CaseResult(fuzzCase: fuzzCase, runs: runs, restoreSeconds: restored.timeIntervalSince(started))
  }

  /// Results by case slot, written by the workers.
  final class Results: @unchecked Sendable {
    private var slots: [CaseResult?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ slot: Int, _ result: CaseResult) { lock.withLock { slots[slot] = result } }
    var all: [CaseResult] { lock.withLock { slots.compactMap { $0 } } }
  }
}

// MARK: - Running one command

/// How one `lam` run ended.
public enum FuzzOutcome: String, CaseIterable {
  case accepted, rejected
  /// Killed by a signal, or a Swift trap ("Fatal error", a crash report).
  case crash
  /// Still running after the timeout (killed).
  case hang
  /// Rejected with more (or less) than one line of error.
  case multiLine = "multi-line rejection"

  public var isViolation: Bool { self == .crash || self == .hang || self == .multiLine }
}

public struct CommandRun {
  public let arguments: [String]
  public let status: Int32
  public let signal: Int32?
  public let timedOut: Bool
  public let outcome: FuzzOutcome
  /// stderr, cut to its first 4 KB unless the run is a violation: a long run keeps every result in memory,
  /// and some errors quote a megabyte-long value.
  public let stderr: String
  public let seconds: Double

  init(arguments: [String], status: Int32, signal: Int32?, timedOut: Bool, stderr: String, seconds: Double) {
    self.arguments = arguments
    self.status = status
    self.signal = signal
    self.timedOut = timedOut
    self.seconds = seconds
    if timedOut {
      outcome = .hang
    } else if signal != nil || [132, 133, 134, 136, 139].contains(status) || CommandRun.crashMarkers.contains(where: stderr.contains) {
      outcome = .crash
    } else if status == 0 {
      outcome = .accepted
    } else {
      outcome = CommandRun.errorLines(stderr).count == 1 ? .rejected : .multiLine
    }
    self.stderr = outcome.isViolation ? String(stderr.prefix(65_536)) : String(stderr.prefix(4096))
  }

  static let crashMarkers = ["Fatal error", "Illegal instruction", "Program crashed", "Segmentation fault", "Aborted", "Trace/breakpoint trap"]

  /// The lines of an error message: stderr without blank lines and without the argument parser's usage
  /// block (its "Help:" line for an invalid value, "Usage: ..." and "See 'lam ... --help' ..."), which is
  /// the parser's boilerplate, not the error, and from the first "Error: " line on.
  public static func errorLines(_ stderr: String) -> [String] {
    var lines: [String] = []
    var inUsage = false
    for line in stderr.split(separator: "\n", omittingEmptySubsequences: true) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      if line.hasPrefix("Usage:") || line.hasPrefix("Help:") {
        inUsage = true
        continue
      }
      if inUsage, line.first?.isWhitespace == true { continue }  // wrapped usage text, "  See 'lam ... --help'"
      inUsage = false
      lines.append(String(line))
    }
    // Progress printed before the error (`lam probe` writes it to stderr) is not part of the error.
    if let error = lines.firstIndex(where: { $0.hasPrefix("Error: ") }) { lines.removeFirst(error) }
    return lines
  }

  /// The command as a shell line, from the fixture folder.
  public var commandLine: String {
    "lam " + arguments.map(CommandRun.shellQuoted).joined(separator: " ")
  }

  static func shellQuoted(_ s: String) -> String {
    let plain = !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+".contains($0)) }
    return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

/// Runs `lam` from a folder, stderr to a file (no pipe to drain, however much it prints), with a timeout
/// and a memory limit.
struct CommandRunner {
  let lam: String
  let stderrFile: String
  let options: Fuzzer.Options

  func run(_ arguments: [String], in folder: String) throws -> CommandRun {
    let process = Process()
    // The shell sets the limits and execs lam, so the process that ends is lam itself.
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v \(options.memoryLimitKB) 2>/dev/null; ulimit -c 0 2>/dev/null; exec \"$0\" \"$@\"", lam] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var environment = ProcessInfo.processInfo.environment
    // Two workers share the cores: OpenBLAS's spinning helper threads would only slow every case down.
    environment["OPENBLAS_NUM_THREADS"] = "1"
    environment["SWIFT_BACKTRACE"] = "enable=yes,interactive=no,color=no"
    process.environment = environment
    guard FileManager.default.createFile(atPath: stderrFile, contents: nil) else { throw FuzzError("\(stderrFile): cannot create") }
    let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
    defer { try? stderr.close() }
    process.standardError = stderr
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    let ended = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in ended.signal() }
    let start = Date()
    try process.run()
    var timedOut = false
    if ended.wait(timeout: .now() + options.timeout) == .timedOut {
      timedOut = true
      kill(process.processIdentifier, SIGKILL)
      ended.wait()
    }
    let seconds = Date().timeIntervalSince(start)
    let bytes = (try? Data(contentsOf: URL(fileURLWithPath: stderrFile))) ?? Data()
    let signaled = process.terminationReason == .uncaughtSignal
    return CommandRun(arguments: arguments, status: process.terminationStatus, signal: signaled ? process.terminationStatus : nil,
                      timedOut: timedOut, stderr: String(decoding: bytes.prefix(200_000), as: UTF8.self), seconds: seconds)
  }
}

// MARK: - Results

public struct CaseResult {
  public let fuzzCase: FuzzCase
  public let runs: [CommandRun]
  /// Restoring the fixture and applying the mutation.
  public let restoreSeconds: Double
  /// Drawing the case (its mutation and commands).
  public var drawSeconds = 0.0
}

/// A crash, hang or multi-line rejection, with what reproduces it.
public struct FuzzViolation {
  public let outcome: FuzzOutcome
  public let seed: UInt64
  public let fuzzCase: FuzzCase
  public let run: CommandRun

  /// What tells two violations apart: the trap's source line (or message) for a crash, the command and
  /// the first error line with its numbers blanked for a multi-line rejection.
  public var site: String {
    let command = run.arguments.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
    switch outcome {
    case .crash:
      if let fatal = run.stderr.split(separator: "\n").first(where: { $0.contains("Fatal error") }) {
        return "\(command): " + String(fatal).replacingOccurrences(of: #"\d+"#, with: "N", options: .regularExpression)
      }
      if let range = run.stderr.range(of: #"Sources/[A-Za-z0-9_/]+\.swift:\d+"#, options: .regularExpression) {
        return "\(command): trap at \(run.stderr[range])"
      }
      return "\(command): signal \(run.signal.map(String.init) ?? "?"), status \(run.status)"
    case .hang:
      return "\(command): hang"
    default:
      let first = CommandRun.errorLines(run.stderr).first ?? "(no output)"
      return "\(command): " + first.prefix(80).replacingOccurrences(of: #"\d+"#, with: "N", options: .regularExpression)
    }
  }

  /// `text` on one line: control characters (a newline a mutation put in a value) shown as escapes.
  static func visible(_ text: String) -> String {
    String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? $0.escaped(asASCII: true) : String($0) }.joined())
  }

  /// stderr as a reproducer shows it: for a crash, the failure and the frames in lam's own sources (not
  /// the registers and library frames of the crash report).
  var stderrExcerpt: [Substring] {
    let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    guard outcome == .crash else { return Array(lines.prefix(24)) }
    let frames = lines.filter { $0.contains("/Sources/") }.prefix(8)
    let before = lines.prefix { !$0.contains("***") }.prefix(4)  // what lam printed before it crashed
    let messages = lines.filter { $0.contains("***") || $0.contains("Fatal error") || $0.contains("crashed:") }.prefix(6)
    return Array(before) + Array(messages) + Array(frames)
  }

  public var reproducer: String {
    let stderrLines = stderrExcerpt
    return """
      [\(outcome.rawValue)] seed \(seed) case \(fuzzCase.index), target \(fuzzCase.target)
        mutation: \(FuzzViolation.visible(fuzzCase.mutation.description).prefix(300))
        command:  \(FuzzViolation.visible(run.commandLine).prefix(400))
        status:   \(run.timedOut ? "killed after the timeout" : run.signal.map { "signal \($0)" } ?? "exit \(run.status)")
        replay:   LAM_FUZZ_SEED=\(seed) LAM_FUZZ_CASE=\(fuzzCase.index) swift test -c release --filter fuzzedFilesAndFlagsNeverCrashLam
        stderr:
      \(stderrLines.map { "    " + $0.prefix(300) }.joined(separator: "\n"))
      """
  }
}

/// Counts of command outcomes.
public struct FuzzCounts {
  public var cases = 0
  public var commands = 0
  public var outcomes: [FuzzOutcome: Int] = [:]
  public var seconds = 0.0

  public subscript(outcome: FuzzOutcome) -> Int { outcomes[outcome, default: 0] }

  mutating func add(_ run: CommandRun) {
    commands += 1
    outcomes[run.outcome, default: 0] += 1
    seconds += run.seconds
  }

  var text: String {
    "\(cases) cases, \(commands) commands: \(self[.accepted]) accepted, \(self[.rejected]) rejected, \(self[.crash]) crashes, "
      + "\(self[.hang]) hangs, \(self[.multiLine]) multi-line rejections"
  }
}

public struct FuzzSummary {
  public let options: Fuzzer.Options
  public let total: FuzzCounts
  public let byTarget: [String: FuzzCounts]
  public let byFamily: [String: FuzzCounts]
  public let byCommand: [String: FuzzCounts]
  /// Every violation, in case order.
  public let violations: [FuzzViolation]
  public let fixtureSeconds: Double
  public let seconds: Double
  /// The slowest command run, to keep an eye on the time budget.
  public let slowest: CommandRun?
  /// Every case's result, in case order.
  public let results: [CaseResult]

  init(options: Fuzzer.Options, results: [CaseResult], fixtureSeconds: Double, seconds: Double) {
    self.options = options
    var total = FuzzCounts(), byTarget: [String: FuzzCounts] = [:], byFamily: [String: FuzzCounts] = [:], byCommand: [String: FuzzCounts] = [:]
    var violations: [FuzzViolation] = []
    var slowest: CommandRun?
    for result in results.sorted(by: { $0.fuzzCase.index < $1.fuzzCase.index }) {
      let c = result.fuzzCase
      total.cases += 1
      byTarget[c.target, default: FuzzCounts()].cases += 1
      byFamily[c.family, default: FuzzCounts()].cases += 1
      for run in result.runs {
        total.add(run)
        byTarget[c.target, default: FuzzCounts()].add(run)
        byFamily[c.family, default: FuzzCounts()].add(run)
        let command = run.arguments.prefix { !$0.hasPrefix("-") }.joined(separator: " ")
        byCommand[command, default: FuzzCounts()].add(run)
        if run.outcome.isViolation { violations.append(FuzzViolation(outcome: run.outcome, seed: options.seed, fuzzCase: c, run: run)) }
        if run.seconds > slowest?.seconds ?? 0 { slowest = run }
      }
    }
    self.total = total
    self.byTarget = byTarget
    self.byFamily = byFamily
    self.byCommand = byCommand
    self.violations = violations
    self.fixtureSeconds = fixtureSeconds
    self.seconds = seconds
    self.slowest = slowest
    self.results = results.sorted { $0.fuzzCase.index < $1.fuzzCase.index }
  }

  public func count(_ outcome: FuzzOutcome) -> Int { total[outcome] }

  /// One line: the totals and, per target family, cases and accepted/rejected commands.
  public var line: String {
    let families = byFamily.keys.sorted().map { "\($0) \(byFamily[$0]!.cases) (\(byFamily[$0]![.accepted])/\(byFamily[$0]![.rejected]))" }
    return "lam fuzz seed \(options.seed): \(total.text) in \(String(format: "%.1f", seconds)) s on \(options.jobs) workers; "
      + "by target, cases (accepted/rejected commands): " + families.joined(separator: ", ")
  }

  /// Violations grouped by site: each site once, with how often it was hit and its first reproducer.
  public var sites: [(site: String, count: Int, first: FuzzViolation)] {
    var order: [String] = []
    var groups: [String: (Int, FuzzViolation)] = [:]
    for v in violations {
      let site = "\(v.outcome.rawValue): \(v.site)"
      if let (n, first) = groups[site] {
        groups[site] = (n + 1, first)
      } else {
        order.append(site)
        groups[site] = (1, v)
      }
    }
    return order.map { ($0, groups[$0]!.0, groups[$0]!.1) }
  }

  /// One line per command run: case, target, outcome, seconds, the command, the mutation and the first
  /// error line. For seeing what the cases reach (LAM_FUZZ_LOG).
  public var log: String {
    var lines: [String] = []
    for result in results {
      for run in result.runs {
        let error = CommandRun.errorLines(run.stderr).first ?? ""
        lines.append([String(result.fuzzCase.index), result.fuzzCase.target, run.outcome.rawValue, String(format: "%.3f", run.seconds),
                      FuzzViolation.visible(run.commandLine), FuzzViolation.visible(String(result.fuzzCase.mutation.description.prefix(200))),
                      String(error.prefix(200))]
          .joined(separator: "\t"))
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The full report: totals, tables by target family, target and command, and every distinct violation site.
  public var report: String {
    func table(_ title: String, _ rows: [String: FuzzCounts]) -> String {
      let width = max(title.count, rows.keys.map(\.count).max() ?? 0)
      func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
      var lines = [pad(title) + "   cases    cmds  accepted  rejected  crash  hang  multi-line  cmd-seconds"]
      for key in rows.keys.sorted() {
        let c = rows[key]!
        lines.append(pad(key) + String(format: "  %6d  %6d  %8d  %8d  %5d  %4d  %10d  %11.1f", c.cases, c.commands, c[.accepted], c[.rejected],
                                       c[.crash], c[.hang], c[.multiLine], c.seconds))
      }
      return lines.joined(separator: "\n")
    }
    var text = """
      lam fuzz report
      seed \(options.seed), \(total.cases) cases, \(options.jobs) workers, \(String(format: "%.1f", seconds)) s (fixture \(String(format: "%.1f", fixtureSeconds)) s)
      \(total.text)
      time in workers: drawing cases \(String(format: "%.1f", results.map(\.drawSeconds).reduce(0, +))) s, restoring the fixture \(String(format: "%.1f", results.map(\.restoreSeconds).reduce(0, +))) s, running lam \(String(format: "%.1f", total.seconds)) s
      slowest command: \(slowest.map { String(format: "%.2f s: ", $0.seconds) + $0.commandLine } ?? "-")


      """
    text += table("family", byFamily) + "\n\n" + table("target", byTarget) + "\n\n" + table("command", byCommand) + "\n\n"
    let sites = self.sites
    text += "\(sites.count) distinct violation sites (\(violations.count) violations)\n"
    for (site, count, first) in sites {
      text += "\n== \(site) (\(count)x)\n\(first.reproducer)\n"
    }
    return text
  }
}
