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
      EncodeCommand.self, LabelCommand.self, ReportCommand.self, CompareCommand.self, BenchCommand.self, LinearCommand.self,
      SweepCommand.self,
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
