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
      See docs/linear-lab.md.
      """)

  // MARK: Data
  @Option(help: "Noise setting: none, iid, agents, or all (each of the three).")
  var setting = "agents"
  @Option(name: .customLong("do"), help: "Observation dimension d_o.")
  var observationDim = 128
  @Option(name: .customLong("da"), help: "Action dimension d_a.")
  var actionDim = 8
  @Option(name: .customLong("db"), help: "Other agents' dimension d_b (agents setting).")
  var agentDim = 8
  @Option(help: "Noise scale sigma (iid: per-dimension std; agents: eps = sigma W_b b).")
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
  @Option(help: "Adam steps (default \(LinearConfig().steps); cleaning and policy experiments: \(LinearExperiment.cleaning.defaultSteps)).")
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

  // MARK: Many runs and output
  @Option(help: "Sweep KEY=LO..HI[:STEP] or KEY=V1,V2,... (repeatable: a grid).")
  var sweep: [String] = []
  @Option(help: "Run a named experiment: \(LinearExperiment.allCases.map(\.rawValue).joined(separator: ", ")).")
  var experiment: String?
  @Option(help: "Runs in parallel (1...256; each single-threaded; results do not depend on it).")
  var threads = 2
  @Option(help: "Output folder (created; sweeps and experiments default to checkpoints/linear-<name>).")
  var out: String?
  @Flag(help: "Replace an existing --out folder that lam made.")
  var force = false
  @Flag(help: "Print the result rows as JSON instead of text.")
  var json = false

  func validate() throws {
    try Limits.check(seeds, "--seeds", Limits.seeds)
    try Limits.check(threads, "--threads", Limits.threads)
    if experiment != nil && !sweep.isEmpty {
      throw LamError("--experiment: cannot be combined with --sweep")
    }
    let plan = try plan()
    // Refuse an existing output folder before any training, not after.
    if let folder = outputFolder(plan) { try Files.checkOutputFolder(folder, force: force, inputs: []) }
  }

  /// --out, or for sweeps and experiments checkpoints/linear-<name>; nil: write nothing.
  func outputFolder(_ plan: LinearPlan) -> String? {
    out ?? (plan.name == "run" ? nil : "checkpoints/linear-\(plan.name)")
  }

  func run() throws {
    let plan = try plan()
    let many = plan.configs.count > 1
    let started = Date()
    let results = try runLinearBatch(plan.configs, threads: threads) { p in
      guard many else { return }
      let m = p.result.trained
      var line = "[\(p.done)/\(p.total)] \(describeRun(p.result.config, plan))"
      line += ": action \(format(m.actionMSE)) obs \(format(m.observationMSE))"
      line += " noise \(format(m.noiseMSE)) llo \(format(m.llo)) angle \(format(p.result.largestAngleDegrees)) (\(format(p.seconds)) s)"
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
    let elapsed = Date().timeIntervalSince(started)
    if many {
      FileHandle.standardError.write(Data("\(results.count) runs in \(format(elapsed)) s on \(threads) thread(s)\n".utf8))
    }

    let folder = outputFolder(plan)
    if let folder {
      try Files.writeFolder(folder, force: force) { staging in try writeOutputs(plan: plan, results: results, to: staging) }
    }
    if json {
      FileHandle.standardOutput.write(try LinearTable.json(results))
    } else {
      if !many { print(describe(results[0], seconds: elapsed)) }
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

  func writeOutputs(plan: LinearPlan, results: [LinearResult], to folder: String) throws {
    try Files.writeAtomically(Data(LinearTable.csv(results).utf8), to: folder + "/results.csv")
    try Files.writeAtomically(Data(LinearSummary.lossCSV(results).utf8), to: folder + "/loss.csv")
    if plan.configs.count > 1 {
      try Files.writeAtomically(Data(LinearSummary.csv(results).utf8), to: folder + "/summary.csv")
    }
    if plan.name != "run" {
      let title = plan.name == "sweep" ? "linear LAM sweep" : "linear LAM: \(plan.name)"
      try PNG.write(LinearFigures.panels(plan: plan, results: results, title: title), to: folder + "/\(plan.name).png")
    }
    // Loss curves: every run when there are few; for the convergence study, the longest runs.
    let longest = results.map(\.config.steps).max() ?? 0
    let curves = results.count <= 12 ? results : plan.name == "convergence" ? results.filter { $0.config.steps == longest } : []
    if !curves.isEmpty {
      let label = { (r: LinearResult) -> String in
        let c = r.config
        if plan.name == "run" { return "\(c.setting.rawValue) seed \(c.seed)" }
        let series = plan.series.isEmpty ? "" : plan.seriesLabel(c) + " "
        return series + "\(plan.x.rawValue)=\(format(plan.x.value(in: c))) seed \(c.seed)"
      }
      try PNG.write(LinearFigures.lossCurves(curves, label: label, title: "training loss above the optimum"), to: folder + "/loss.png")
    }
  }

  /// "agents d_z=8 sigma=1 clean=0.3 seed=0": the setting, d_z, sigma and whatever else the plan varies.
  func describeRun(_ c: LinearConfig, _ plan: LinearPlan) -> String {
    var keys = [plan.x]
    for case .parameter(let key) in plan.series { keys.append(key) }
    var parts = ["\(c.setting.rawValue) d_z=\(c.latentDim) sigma=\(format(c.sigma))"]
    for key in keys where key != .dz && key != .sigma && !parts.contains(where: { $0.hasPrefix(key.rawValue + "=") }) {
      parts.append("\(key.rawValue)=\(format(key.value(in: c)))")
    }
    if plan.series.contains(.learnA) { parts.append(c.learnA ? "A learned" : "A = I") }
    return parts.joined(separator: " ") + " seed=\(c.seed)"
  }

  func describe(_ r: LinearResult, seconds: Double) -> String {
    let c = r.config
    var lines = [
      "linear LAM: setting \(c.setting.rawValue), d_o \(c.observationDim), d_a \(c.actionDim), d_b \(c.agentDim), d_z \(c.latentDim), sigma \(format(c.sigma)), chi \(format(c.chi)), seed \(c.seed)",
      "trained \(c.steps) steps in \(format(seconds)) s; final loss \(format(r.loss.last?.loss ?? .nan))",
      "",
      "                        trained      PCA latent",
    ]
    func row(_ name: String, _ a: Double, _ b: Double) -> String {
      name.padding(toLength: 24, withPad: " ", startingAt: 0)
        + format(a).padding(toLength: 13, withPad: " ", startingAt: 0) + format(b)
    }
    lines.append(row("action MSE", r.trained.actionMSE, r.pca.actionMSE))
    lines.append(row("obs MSE", r.trained.observationMSE, r.pca.observationMSE))
    lines.append(row("noise MSE", r.trained.noiseMSE, r.pca.noiseMSE))
    lines.append(row("reconstruction MSE", r.trained.reconstructionMSE, r.pca.reconstructionMSE))
    lines.append(row("LLO", r.trained.llo, r.pca.llo))
    lines.append("(LLO as we define it: obs MSE + noise MSE - action MSE; best 2. MSEs are per dimension over the target's variance: 1 = nothing held.)")
    lines.append(c.probe == .z ? "(probes read z itself)" : "(probes read the pseudo latent z + B^+ (A - I) o; --probe z reads z itself)")
    lines.append("")
    lines.append("principal angles (deg) between span(B) and the nearest top-\(c.latentDim) principal subspace of the change covariance:")
    lines.append("  " + r.anglesDegrees.map(format).joined(separator: " "))
    lines.append("top eigenvalues: " + r.eigenvalues.prefix(c.latentDim + 2).map(format).joined(separator: " "))
    return lines.joined(separator: "\n")
  }
}

private func format(_ x: Double) -> String {
  x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4g", x)
}
