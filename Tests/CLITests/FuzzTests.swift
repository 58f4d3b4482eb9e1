import Foundation
import Testing
import TestSupport

/// Hostile files and flags never crash `lam`: over `LAM_FUZZ_CASES` seeded cases (default 1000, seed
/// `LAM_FUZZ_SEED`, default 1, on `LAM_FUZZ_JOBS` workers, default 2), each mutating one file of a dataset,
/// a run folder, a config, a sweep, or one numeric flag, every command that reads it either accepts the input
/// or rejects it with a one-line error: no signal, no Swift trap, no hang. `scripts/fuzz.sh` runs 100,000
/// cases; `LAM_FUZZ_CASE=N` replays case N alone and keeps its mutated fixture; `LAM_FUZZ_REPORT=FILE`
/// writes the full report (tables by target and command, every distinct violation with its reproducer), and
/// `LAM_FUZZ_LOG=FILE` one line per command run.
@Test func fuzzedFilesAndFlagsNeverCrashLam() throws {
  let options = Fuzzer.Options.fromEnvironment()
  let summary = try Fuzzer.run(options)
  print(summary.line)
  if let path = ProcessInfo.processInfo.environment["LAM_FUZZ_REPORT"], !path.isEmpty {
    try Data(summary.report.utf8).write(to: URL(fileURLWithPath: path))
  }
  if let path = ProcessInfo.processInfo.environment["LAM_FUZZ_LOG"], !path.isEmpty {
    try Data(summary.log.utf8).write(to: URL(fileURLWithPath: path))
  }

  let firstSites = summary.sites.prefix(5).map { "\($0.site) (\($0.count)x)\n\($0.first.reproducer)" }.joined(separator: "\n\n")
  #expect(summary.total.cases == (options.onlyCase == nil ? options.cases : 1))
  #expect(summary.count(.crash) == 0, "lam crashed on \(summary.count(.crash)) fuzzed inputs; first sites:\n\(firstSites)")
  #expect(summary.count(.hang) == 0, "lam hung on \(summary.count(.hang)) fuzzed inputs; first sites:\n\(firstSites)")
  #expect(summary.count(.multiLine) == 0,
          "lam rejected \(summary.count(.multiLine)) fuzzed inputs with other than one error line; first sites:\n\(firstSites)")
}
