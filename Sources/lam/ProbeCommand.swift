import ArgumentParser
import Core
import Foundation
import GridWorld
import LAM
import NN
import Probing
import Training

/// `lam probe`: what a trained LAM's latents hold, measured with linear and MLP probes on held-out episodes.
struct ProbeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "probe",
    abstract: "Probe a trained LAM's latents for the action, distractors, position and shake (writes probe.json).",
    discussion: "--threads: 1 by default (the probes' numbers may differ in the last digits with more).")

  @Option(name: .customLong("run"), help: "The run folder (from `lam train`).") var runDir: String

  @Option(help: "The dataset folder; defaults to the run's dataset (it must be the same data).")
  var data: String?

  @Option(help: "Test on every transition of this dataset instead of the run's held-out episodes (same frame shape and steps; e.g. uniform-policy data for a run trained on a correlated policy).")
  var evalData: String?

  @Option(help: "Write the results here instead of the run's probe.json (required with --eval-data).")
  var out: String?

  @Flag(help: "Replace --out when it exists (only a JSON file, never an input).")
  var force = false

  @Flag(help: "Probe the bottleneck's output z (after quantization or noise) instead of z_e.")
  var quantized = false

  @Option(help: "Probe training epochs (1...10000).") var epochs: Int = 60
  @Option(help: "Probe training uses at most this many training transitions, evenly spaced (1...100000000).")
  var maxTrain: Int = 50_000
  @OptionGroup var compute: ComputeThreads

  func validate() throws {
    try Limits.check(epochs, "--epochs", Limits.epochs)
    try Limits.check(maxTrain, "--max-train", Limits.transitions)
    if evalData != nil && out == nil {
      throw ValidationError("--out: required with --eval-data (the run's probe.json stays the probe of its own episodes)")
    }
  }

  func run() throws {
    if let out {
      let inputs = TrainingRun.inputs(runDir) + [(data, "--data"), (evalData, "--eval-data")].compactMap { path, flag in path.map { Files.Input($0, flag: flag) } }
      try Files.checkOutputFile(out, force: force, inputs: inputs, kind: "JSON", isReplaceable: InferenceRecord.looksLikeRecord)
    }
    BLASThreads.set(compute.threads ?? 1)
    let results = try ProbeAnalysis.probeRun(runDir, dataPath: data, evalPath: evalData, out: out, quantized: quantized,
                                             maxTrain: maxTrain, settings: Probe.Settings(epochs: epochs)) { step in
      FileHandle.standardError.write(Data((step + "\n").utf8))
    }
    let tested = evalData.map { "transitions of \($0)" } ?? "held-out transitions"
    print(results.table(tested: tested))
    print("wrote \(out ?? runDir + "/" + ProbeResults.file)")
    if out == nil { print("wrote \(runDir)/\(Labelling.probeFile): the fitted action probe (for `lam label --from probe`)") }
  }
}
