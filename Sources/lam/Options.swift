import ArgumentParser
import Foundation

/// `--out` and `--force` for a command that writes a folder: one meaning and one help text everywhere.
struct OutputFolder: ParsableArguments {
  @Option(help: "The folder to write: created, or an existing one replaced with --force.")
  var out: String?

  @Flag(help: "Replace --out when it exists, if lam made it (its .lam-output marker); never an input.")
  var force = false

  /// --out, required by the command.
  func required(_ what: String) throws -> String {
    guard let out else { throw ValidationError("--out: required (\(what))") }
    return out
  }
}

/// `--threads`: the threads a command computes with, 1...256; each command's help says its default.
struct ComputeThreads: ParsableArguments {
  @Option(help: "Threads to compute with, 1...256 (the default is in the command's help).")
  var threads: Int?

  func validate() throws {
    try Limits.check(threads, "--threads", Limits.threads)
  }

  /// The cores this process may run on: its CPU affinity (`Cpus_allowed` in /proc/self/status, what `nproc`
  /// counts), at most the processors Foundation counts active.
  static var available: Int {
    let active = max(1, ProcessInfo.processInfo.activeProcessorCount)
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return active }
    let allowed = line.dropFirst("Cpus_allowed:".count).filter(\.isHexDigit).reduce(0) { $0 + (Int(String($1), radix: 16) ?? 0).nonzeroBitCount }
    return max(1, min(active, allowed))
  }
}

/// The bounds of the numeric flags: one meaning and one range for a flag in every command (listed in
/// docs/reliability.md).
enum Limits {
  static let threads = 1...256
  static let jobs = 1...256
  static let episodes = 1...10_000_000
  static let episodeSteps = 1...100_000
  static let trainSteps = 1...100_000_000
  static let epochs = 1...10_000
  static let transitions = 1...100_000_000
  static let pairs = 1...1_000_000
  static let scale = 1...256
  static let seeds = 1...10_000
  static let seconds = 0.001...86_400.0
  static let windows = 1...10_000
  static let warmup = 0...1_000_000

  /// Throws the parser's usage error when `value` is set and outside `range`.
  static func check<T: Comparable>(_ value: T?, _ flag: String, _ range: ClosedRange<T>) throws {
    if let value, !range.contains(value) {
      throw ValidationError("\(flag): expected a value in \(range.lowerBound)...\(range.upperBound), got \(value)")
    }
  }
}
