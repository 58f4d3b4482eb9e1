import ArgumentParser
import Foundation
import NN

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
    useFastBLASKernels()
    // Progress lines appear as they happen when output goes to a file or a pipe, not when the buffer fills.
    setvbuf(stdout, nil, _IOLBF, 0)
    main(joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst())))
  }

  /// When OpenBLAS took this CPU for an old one (`BLASCore`), names the kernels it should run and starts this
  /// program again (the same process, arguments and environment but that variable): OpenBLAS reads the
  /// variable only when it is loaded. A user's own OPENBLAS_CORETYPE is left alone.
  static func useFastBLASKernels() {
    guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
          let core = BLASCore.suggestion(core: BLASCore.name, cpuFlags: BLASCore.cpuFlags) else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    unsetenv("OPENBLAS_CORETYPE")  // exec failed: go on with OpenBLAS's own choice
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
