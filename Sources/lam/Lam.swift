import ArgumentParser
import Foundation

@main
struct Lam: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "lam",
    abstract: "Generate grid-world videos, train latent action models on them, and probe what the latents hold.",
    version: version,
    subcommands: [
      EnvsCommand.self, GenerateCommand.self, FramesCommand.self, TrainCommand.self, ProbeCommand.self,
      EncodeCommand.self, ReportCommand.self, BenchCommand.self, LinearCommand.self, SweepCommand.self,
    ])

  static func main() {
    // Progress lines appear as they happen when output goes to a file or a pipe, not when the buffer fills.
    setvbuf(stdout, nil, _IOLBF, 0)
    main(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
  }

  /// `--seed -1` as `--seed=-1`: the parser reads a token starting with '-' as an option, so a negative
  /// value would be "missing"; joined, it reaches the option's range check and gets a clear error.
  static func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
    var result: [String] = []
    var i = 0
    while i < arguments.count {
      let argument = arguments[i]
      if argument.hasPrefix("--"), !argument.contains("="), i + 1 < arguments.count,
         arguments[i + 1].count > 1, arguments[i + 1].hasPrefix("-"), Double(arguments[i + 1]) != nil {
        result.append(argument + "=" + arguments[i + 1])
        i += 2
      } else {
        result.append(argument)
        i += 1
      }
    }
    return result
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
