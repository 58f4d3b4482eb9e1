import Foundation
import GridWorld
import LAM
import Probing
import Training

extension Report {
  /// summary.md: the key numbers, then each picture with a line on how to read it.
  static func summary(_ result: ReportResult, config: RunConfig, records: [MetricsRecord], probe: ProbeResults?,
                      info: RunInfo, data: Dataset, files: [String]) -> String {
    func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
    func number(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "-" }
    let m = config.model
    let last = records.last
    let lastVal = records.last { $0.valRecon != nil }?.valRecon
    let swap = result.counterfactual
    var lines = [
      "# Report: \(m.architecture.rawValue) LAM, \(m.bottleneck.kind.rawValue) latent (dz \(m.bottleneck.dz)"
        + (m.bottleneck.kind == .vq ? ", \(m.bottleneck.codes) codes)" : ")"),
      "",
      "Data: `\(info.data)` (\(data.source), \(info.episodes) episodes of \(info.steps) steps); checkpoint at step \(result.step).",
      "",
      "## Key numbers",
      "",
      "| measure | value |",
      "|---|---|",
      "| train reconstruction MSE (last logged) | \(number(last.map { Double($0.recon) })) |",
      "| validation reconstruction MSE (last) | \(number(lastVal.map(Double.init))) |",
      "| agent action from z, nearest centroid (validation) | \(percent(result.centroidActionAccuracy)) |",
    ]
    if let d = result.centroidDistractorAccuracy {
      lines.append("| first distractor's action from z, nearest centroid | \(percent(d)) |")
    }
    lines += [
      "| latent swap: agent moves as the source's action would | \(percent(swap.accuracy)) of \(swap.pairs.count) pairs |",
      "| latent swap: agent moves as the target's own action did | \(percent(swap.followsTarget)) |",
      "| latent swap: agent lands on the source's own next cell (z holds a position) | \(percent(swap.followsSourceCell)) |",
    ]
    if let probe {
      let action = probe.action
      lines += [
        "| action probe, linear (test accuracy) | \(percent(action.linear.testAccuracy)) |",
        "| action probe, MLP (test accuracy) | \(percent(action.mlp.testAccuracy)) |",
        "| action chance / ceiling | \(percent(action.chance)) / \(percent(action.ceiling)) |",
      ]
      if let distractor = probe.distractors.first {
        let cell = probe.distractorPositions.first
        lines += [
          "| first distractor's action probe, MLP / chance / ceiling | \(percent(distractor.mlp.testAccuracy)) / "
            + "\(percent(distractor.chance)) / \(percent(distractor.ceiling)) |",
          "| first distractor's cell after the step, MLP probe / chance | "
            + "\(percent(cell?.mlp.testAccuracy)) / \(percent(cell?.chance)) |",
        ]
      }
      lines += [
        "| paper's controllable loss (lower: z holds the action) | \(number(probe.paper.controllableLoss)) |",
        "| paper's stochastic loss (higher: z ignores the noise) | \(number(probe.paper.stochasticLoss)) |",
      ]
    } else {
      lines += ["", "No probe.json in the run folder: run `lam probe` first for the probe accuracies and the paper's losses."]
    }
    let byAction = zip(Action.names, swap.accuracyByAction).map { "\($0) \(percent($1))" }.joined(separator: ", ")
    lines += ["", "Swap accuracy by the source's action: \(byAction).", ""]

    let captions: [(String, String)] = [
      ("losses.png", "Training losses per update (log scale): total, reconstruction, bottleneck and label terms, and the validation reconstruction."),
      ("reconstructions.png", "Validation transitions, two per action: o, the true o', the FDM's prediction and the signed error (blue: predicted too dark, red: too bright)."),
      ("confusion-action.png", "The agent's action read from z_e by the nearest class mean (fitted on training transitions). Moves into a wall look like stay, so the stay column absorbs some of every row."),
      ("confusion-distractor.png", "The same read-out for the first distractor's action: a high diagonal means z also holds the distractor (exogenous noise)."),
      ("confusion-probe.png", "The agent-action MLP probe's confusion matrix from probe.json (held-out episodes)."),
      ("confusion-probe-distractor.png", "The first distractor's action MLP probe's confusion matrix from probe.json."),
      ("latents-action.png", "z_e on its two principal axes, coloured by the agent's action: separate clusters mean z holds the action."),
      ("latents-distractor.png", "The same points coloured by the first distractor's action."),
      ("latent-effects.png", "FDM(o, z) for each code (VQ) or each principal direction of z at -2, -1, +1, +2 std, from the same frames; the caption names the agent's move found in the prediction."),
      ("swap-examples.png", "The latent swap test: z of a source transition decoded on another transition's first frame. The agent should move as the source's action would (walls: a blocked move stays)."),
    ]
    lines += ["## Pictures", ""]
    for (file, caption) in captions where files.contains(file) {
      lines += ["### \(file)", "", caption, "", "![\(file)](\(file))", ""]
    }
    return lines.joined(separator: "\n")
  }
}
