import ArgumentParser
import Core
import Foundation
import Imaging
import LinearLAM

struct LinearCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "linear",
    abstract: "Train the paper's linear LAM and probe what its latent holds: single runs, sweeps and named experiments.",
    discussion: """
      One run (or one per setting and seed) prints its probe MSEs next to the closed-form PCA latent's.
      --sweep KEY=LO..HI (or KEY=V1,V2,...; repeatable; keys: \(SweepKey.allCases.map(\.rawValue).joined(separator: ", ")))
      and --experiment NAME run many and write results.csv, summary.csv and a figure to --out.
      Experiments: \(LinearExperiment.allCases.map(\.rawValue).joined(separator: ", ")).
      --threads: runs in parallel, 2 by default (each single-threaded; results do not depend on it). --out: \
      sweeps and experiments default to checkpoints/linear-<name>. See docs/linear-lab.md.
      """)

  // MARK: Data
  @Option(help: "Noise setting: none, iid, uniform, agents, or all (each of the four).")
  var setting = "agents"
  @Option(name: .customLong("do"), help: "Observation dimension d_o.")
  var observationDim = 128
  @Option(name: .customLong("da"), help: "Action dimension d_a.")
  var actionDim = 8
  @Option(name: .customLong("db"), help: "Other agents' dimension d_b (agents setting).")
  var agentDim = 8
  @Option(help: "Noise scale sigma (iid, uniform: per-dimension std; agents: eps = sigma W_b b).")
  var sigma = 1.0
  @Option(help: "Policy: a = (1 - chi) n + chi P o, chi in [0, 1].")
  var chi = 0.0

  // MARK: Model
  @Option(name: .customLong("dz"), help: "Latent dimension d_z.")
  var latentDim = 8
  @Flag(name: .customLong("fixed-a"), help: "Fix A to the identity instead of learning it.")
  var fixedA = false
  @Flag(name: .customLong("tie-d"), help: "Tie D to -C, so z = C (o - o').")
  var tieD = false

  // MARK: Training
  @Option(help: "Batch size.")
  var batch = 128
  @Option(help: "Adam steps (default \(LinearConfig().steps); experiments: \(LinearExperiment.allCases.compactMap { e in e.defaultSteps.map { "\(e.rawValue) \($0)" } }.joined(separator: ", "))).")
  var steps: Int?
  @Option(help: "Adam's peak learning rate (cosine decay to 0).")
  var lr = LinearConfig().learningRate
  @Option(help: "Seed of the first run.")
  var seed: UInt64 = 0
  @Option(help: "Runs per configuration, with seeds seed, seed+1, ... (1...10000).")
  var seeds = 1

  // MARK: Remedies
  @Option(help: "Augmentation: k1, k2 ~ N(0, kappa^2 I); 0 is off.")
  var kappa = 0.0
  @Option(help: "Fraction of training transitions whose action label trains a linear head z -> a.")
  var labelFraction = 0.0
  @Option(help: "Weight of the action head's MSE.")
  var labelWeight = 1.0
  @Option(help: "Fraction of transitions with the largest ||eps|| dropped from the training data.")
  var clean = 0.0

  // MARK: Measurement
  @Option(help: "What the probes read: z, or pseudo (o_hat' - o in span(B) coordinates; = z when A = I).")
  var probe = "pseudo"
  @Option(help: "Fresh transitions the probes are fitted on.")
  var probeTrain = LinearConfig().probeTrainSize
  @Option(help: "Fresh transitions the probes are evaluated on.")
  var probeEval = LinearConfig().probeEvalSize
  @Flag(help: "Fit and evaluate the probes on noise-free transitions (eps = 0); training keeps the noise.")
  var evalNoiseFree = false
  @Flag(help: "Evaluate the probes on actions drawn independently of o (chi = 0); they are fitted on the training policy's.")
  var evalRandomActions = false

  // MARK: Many runs and output
  @Option(help: "Sweep KEY=LO..HI[:STEP] or KEY=V1,V2,... (repeatable: a grid).")
  var sweep: [String] = []
  @Option(help: "Run a named experiment: \(LinearExperiment.allCases.map(\.rawValue).joined(separator: ", ")).")
  var experiment: String?
  @OptionGroup var compute: ComputeThreads
  @OptionGroup var output: OutputFolder
  @Flag(help: "Print the result rows as JSON instead of text.")
  var json = false

  func validate() throws {
    try Limits.check(seeds, "--seeds", Limits.seeds)
    if experiment != nil && !sweep.isEmpty {
      throw LamError("--experiment: cannot be combined with --sweep")
    }
    let plan = try plan()
    // Refuse an existing output folder before any training, not after.
    if let folder = outputFolder(plan) { try Files.checkOutputFolder(folder, force: output.force, inputs: []) }
  }

  /// --out, or for sweeps and experiments checkpoints/linear-<name>; nil: write nothing.
  func outputFolder(_ plan: LinearPlan) -> String? {
    output.out ?? (plan.name == "run" ? nil : "checkpoints/linear-\(plan.name)")
  }

  func run() throws {
    let plan = try plan()
    let threads = compute.threads ?? 2
    let many = plan.configs.count > 1
    let started = Date()
    let results = try runLinearBatch(plan.configs, threads: threads) { p in
      guard many else { return }
      let m = p.result.trained
      var line = "[\(p.done)/\(p.total)] \(plan.describe(p.result.config))"
      line += ": action \(format(m.actionMSE)) obs \(format(m.observationMSE))"
      line += " noise \(format(m.noiseMSE)) llo \(format(m.llo)) angle \(format(p.result.largestAngleDegrees)) (\(format(p.seconds)) s)"
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
    let elapsed = Date().timeIntervalSince(started)
    if many {
      let what = experiment.map { "experiment \($0): " } ?? ""
      let steps = Set(plan.configs.map(\.steps)).sorted().map(String.init).joined(separator: "/")
      FileHandle.standardError.write(Data("\(what)\(results.count) runs of \(steps) steps in \(format(elapsed)) s on \(threads) thread(s)\n".utf8))
    }

    let folder = outputFolder(plan)
    if let folder {
      try Files.writeFolder(folder, force: output.force) { staging in try plan.write(results, to: staging) }
    }
    if json {
      FileHandle.standardOutput.write(try LinearTable.json(results))
    } else {
      if !many { print(results[0].describe(seconds: elapsed)) }
      if let folder { print("wrote \(folder)") }
    }
  }

  /// The runs the flags ask for.
  func plan() throws -> LinearPlan {
    let settings = setting == "all" ? NoiseSetting.allCases : [try NoiseSetting(parsing: setting)]
    var base = LinearConfig()
    base.setting = settings[0]
    base.observationDim = observationDim
    base.actionDim = actionDim
    base.agentDim = agentDim
    base.sigma = sigma
    base.chi = chi
    base.latentDim = latentDim
    base.learnA = !fixedA
    base.tieD = tieD
    base.batchSize = batch
    base.steps = steps ?? experiment.flatMap(LinearExperiment.init(rawValue:))?.defaultSteps ?? base.steps
    base.learningRate = lr
    base.seed = seed
    base.kappa = kappa
    base.labelFraction = labelFraction
    base.labelWeight = labelWeight
    base.cleanFraction = clean
    base.probe = try ProbeInput(parsing: probe)
    base.probeTrainSize = probeTrain
    base.probeEvalSize = probeEval
    base.evalNoiseFree = evalNoiseFree
    base.evalRandomActions = evalRandomActions
    try base.validate()
    let seedList = (0..<UInt64(seeds)).map { seed &+ $0 }
    if let experiment {
      guard let named = LinearExperiment(rawValue: experiment) else {
        let names = LinearExperiment.allCases.map(\.rawValue).joined(separator: ", ")
        throw LamError("--experiment: expected one of \(names); got '\(experiment)'")
      }
      return try named.plan(base: base, seeds: seedList)
    }
    if !sweep.isEmpty {
      return try LinearPlan.sweep(base: base, settings: settings, axes: sweep.map(SweepAxis.init(parsing:)), seeds: seedList)
    }
    return LinearPlan(
      name: "run", configs: try expandGrid(base: base, settings: settings, axes: [], seeds: seedList),
      x: .dz, series: settings.count > 1 ? [.setting] : [], panels: [.llo, .action, .obs, .noise])
  }
}

private func format(_ x: Double) -> String {
  x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4g", x)
}
