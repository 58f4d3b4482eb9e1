import Core
import Foundation
import Imaging

// What `lam linear` writes and prints for its runs.

extension LinearPlan {
  /// Writes results.csv, loss.csv, and for many runs summary.csv, the figure and the loss curves into `folder`.
  public func write(_ results: [LinearResult], to folder: String) throws {
    let plan = self
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
  public func describe(_ c: LinearConfig) -> String {
    let plan = self
    var keys = [plan.x]
    for case .parameter(let key) in plan.series { keys.append(key) }
    var parts = ["\(c.setting.rawValue) d_z=\(c.latentDim) sigma=\(format(c.sigma))"]
    for key in keys where key != .dz && key != .sigma && !parts.contains(where: { $0.hasPrefix(key.rawValue + "=") }) {
      parts.append("\(key.rawValue)=\(format(key.value(in: c)))")
    }
    if plan.series.contains(.learnA) { parts.append(c.learnA ? "A learned" : "A = I") }
    if plan.series.contains(.evaluation) { parts.append(SeriesKey.evaluation.label(c)) }
    return parts.joined(separator: " ") + " seed=\(c.seed)"
  }
}

extension LinearResult {
  /// The report of one run that `lam linear` prints: its probe MSEs beside the PCA latent's, angles, eigenvalues.
  public func describe(seconds: Double) -> String {
    let r = self
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
    if c.evalNoiseFree { lines.append("(probes fitted and evaluated on noise-free transitions, eps = 0; noise MSE is 1 by definition)") }
    if c.evalRandomActions { lines.append("(probes evaluated on actions drawn independently of o, fitted on the training policy's)") }
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
