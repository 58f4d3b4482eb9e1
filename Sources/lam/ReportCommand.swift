import ArgumentParser
import Foundation
import LAM
import Reports

/// `lam report`: pictures and a summary.md of what a trained run's latents do.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write PNGs and a summary.md for a trained run: losses, reconstructions, confusion matrices, latent scatter, latent effects, latent swap test.",
    discussion: "Reads the run's checkpoint and dataset, and probe.json when `lam probe` has written one (docs/report.md). --out: RUN/report by default.")

  @Option(name: .customLong("run"), help: "The run folder (from `lam train`).")
  var runDir: String

  @OptionGroup var output: OutputFolder

  @Option(help: "Seed for the sample transitions and swap pairs.")
  var seed: UInt64 = 0

  @Option(help: "How many (source, target) pairs the latent swap test decodes (1...1000000).")
  var pairs = 1000

  func validate() throws {
    try Limits.check(pairs, "--pairs", Limits.pairs)
  }

  func run() throws {
    let options = ReportOptions(runDir: runDir, out: output.out, force: output.force, seed: seed, swapPairs: pairs)
    let result = try Report.write(options)
    let swap = result.counterfactual
    print(String(format: "latent swap: the agent moved as the source's action would in %.1f%% of %d pairs "
                   + "(as the target's own action: %.1f%%); nearest-centroid action accuracy %.1f%%",
                 100 * swap.accuracy, swap.pairs.count, 100 * swap.followsTarget, 100 * result.centroidActionAccuracy))
    print("wrote \(result.files.count) files to \(options.out)")
  }
}
