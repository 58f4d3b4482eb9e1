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
    abstract: "Probe a trained LAM's latents for the action, distractors, position and shake (writes probe.json).")

  @Option(name: .customLong("run"), help: "The run folder (from `lam train`).") var runDir: String

  @Option(help: "The dataset folder; defaults to the run's dataset (it must be the same data).")
  var data: String?

  @Option(help: "Test on every transition of this dataset instead of the run's held-out episodes (same frame shape and steps; e.g. uniform-policy data for a run trained on a correlated policy).")
  var evalData: String?

  @Flag(help: "Probe the bottleneck's output z (after quantization or noise) instead of z_e.")
  var quantized = false

  @Option(help: "Probe training epochs (1...10000).") var epochs: Int = 60
  @Option(help: "Probe training uses at most this many training transitions, evenly spaced (1...100000000).")
  var maxTrain: Int = 50_000
  @Option(help: "Threads for BLAS (1...256).") var threads: Int = 1

  func validate() throws {
    try Limits.check(epochs, "--epochs", Limits.epochs)
    try Limits.check(maxTrain, "--max-train", Limits.transitions)
    try Limits.check(threads, "--threads", Limits.threads)
  }

  func run() throws {
    BLASThreads.set(threads)
    let results = try ProbeAnalysis.probeRun(runDir, dataPath: data, evalPath: evalData, quantized: quantized,
                                             maxTrain: maxTrain, settings: Probe.Settings(epochs: epochs))
    let f = { (x: Double) in String(format: "%6.3f", x) }
    func row(_ name: String, _ t: ProbeTarget) -> String {
      name.padding(toLength: 14, withPad: " ", startingAt: 0)
        + " \(f(t.linear.testAccuracy))  \(f(t.mlp.testAccuracy))  \(f(t.chance))  \(t.ceiling.map(f) ?? "     -")"
    }
    let tested = evalData.map { "transitions of \($0)" } ?? "held-out transitions"
    print("probe on \(results.testTransitions) \(tested) (\(results.latent) latent)")
    print("target         linear     mlp  chance ceiling")
    print(row("action", results.action))
    for (j, d) in results.distractors.enumerated() { print(row("distractor \(j)", d)) }
    for (j, d) in results.distractorPositions.enumerated() { print(row("distr. \(j) cell", d)) }
    print(row("agent cell", results.position))
    if let shake = results.shake { print(row("shake", shake)) }
    let g = { (x: Double?) in x.map { String(format: "%.4g", $0) } ?? "- (region never changes)" }
    print("controllable loss \(g(results.paper.controllableLoss)), stochastic loss \(g(results.paper.stochasticLoss))")
    if let c = results.codes {
      print("codes: \(c.codesUsed) of \(c.codebookSize) used, purity \(f(c.purity)), NMI \(f(c.nmi))")
    }
    print("wrote \(runDir)/probe.json")
  }
}
