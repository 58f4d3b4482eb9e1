import Foundation
import GridWorld
import LAM
import Probing
import Training

/// What summary.md and index.html say before the pictures, as text in which backticks mark commands and paths.
struct ReportSummary {
  /// probe.json's verdict, or a pointer to `lam probe`, as one sentence.
  var verdict: String
  var title: String
  /// The data the run read and the checkpoint's step.
  var data: String
  var keyNumbers: [(measure: String, value: String)]
  /// The lines after the table of key numbers.
  var notes: [String]
}

extension Report {
  /// The verdict, the key numbers and the notes: one text for summary.md and index.html.
  static func summaryText(_ result: ReportResult, config: RunConfig, records: [MetricsRecord], probe: ProbeResults?,
                          info: RunInfo, data: Dataset) -> ReportSummary {
    func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
    func number(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "-" }
    let m = config.model
    let last = records.last
    let lastVal = records.last { $0.valRecon != nil }?.valRecon
    let swap = result.counterfactual
    var rows: [(measure: String, value: String)] = [
      ("train reconstruction MSE (last logged)", number(last.map { Double($0.recon) })),
      ("validation reconstruction MSE (last)", number(lastVal.map(Double.init))),
      ("agent action from z, nearest centroid (validation)", percent(result.centroidActionAccuracy)),
    ]
    let names = data.config.distractorNames
    for (name, accuracy) in zip(names, result.centroidDistractorAccuracies) {
      rows.append(("distractor '\(name)': action from z, nearest centroid", percent(accuracy)))
    }
    rows += [
      ("latent swap: agent moves as the source's action would", "\(percent(swap.accuracy)) of \(swap.pairs.count) pairs"),
      ("latent swap: agent moves as the target's own action did", percent(swap.followsTarget)),
      ("latent swap: agent lands on the source's own next cell (z holds a position)", percent(swap.followsSourceCell)),
      ("latent swap: pairs whose move the target's walls allow / block",
       "\(percent(swap.accuracyUnblocked)) / \(percent(swap.accuracyBlocked)) (\(swap.blockedCount) blocked)"),
    ]
    var notes: [String] = []
    if let probe {
      let action = probe.action
      rows += [
        ("action probe, linear (test accuracy)", percent(action.linear.testAccuracy)),
        ("action probe, MLP (test accuracy)", percent(action.mlp.testAccuracy)),
        ("action chance / ceiling", "\(percent(action.chance)) / \(percent(action.ceiling))"),
      ]
      for (j, name) in probe.distractorNames.enumerated() {
        let action = probe.distractors[j], cell = probe.distractorPositions[j]
        rows += [
          ("distractor '\(name)': action probe, MLP / chance / ceiling",
           "\(percent(action.mlp.testAccuracy)) / \(percent(action.chance)) / \(percent(action.ceiling))"),
          ("distractor '\(name)': cell after the step, MLP probe / chance",
           "\(percent(cell.mlp.testAccuracy)) / \(percent(cell.chance))"),
        ]
      }
      for (axis, target) in [("dx", probe.shakeDx), ("dy", probe.shakeDy)] {
        guard let target else { continue }
        rows.append(("camera shake \(axis) probe, MLP accuracy / balanced / NMI (chance \(percent(target.chance)) / "
                       + "\(percent(target.balancedChance)) / 0)",
                     "\(percent(target.mlp.testAccuracy)) / \(percent(target.mlp.balancedAccuracy)) / \(number(target.mlp.nmi))"))
      }
      if let c = probe.codes {
        rows.append(("codes used of the codebook / perplexity (effective number of codes)",
                     "\(c.codesUsed) of \(c.codebookSize) / \(number(c.perplexity))"))
      }
      if let kl = probe.klPerDimension {
        rows.append(("KL to N(0, 1) per latent dimension, nats (near 0: the dimension carries nothing)",
                     kl.map { String(format: "%.3g", $0) }.joined(separator: ", ")))
      }
      let paper = probe.paper
      rows += [
        ("controllable loss (lower: z holds the agent's move; another transition's latent)",
         "\(number(paper.controllableLoss)) (\(number(paper.controllableLossShuffled)))"),
        ("stochastic loss (higher: z ignores distractors, noise and shake; another transition's latent)",
         "\(number(paper.stochasticLoss)) (\(number(paper.stochasticLossShuffled)))"),
      ]
      for (j, name) in probe.distractorNames.enumerated() {
        rows.append(("distractor '\(name)': loss (another transition's latent)",
                     "\(number(paper.distractorLosses[j])) (\(number(paper.distractorLossesShuffled[j])))"))
      }
    } else {
      notes.append("No probe.json in the run folder: run `lam probe` first for the probe accuracies and the paper's losses.")
    }
    let byAction = zip(Action.names, swap.accuracyByAction).map { "\($0) \(percent($1))" }.joined(separator: ", ")
    notes.append("Swap accuracy by the source's action: \(byAction).")
    return ReportSummary(
      verdict: (probe.map { $0.verdict } ?? "none yet: run `lam probe --run RUN` for what the latent holds") + ".",
      title: "Report: \(m.architecture.rawValue) LAM, \(m.bottleneck.kind.rawValue) latent (dz \(m.bottleneck.dz)"
        + (m.bottleneck.codebookSize.map { ", \($0) codes)" } ?? ")"),
      data: "Data: `\(info.data)` (\(data.source), \(info.episodes) episodes of \(info.steps) steps); checkpoint at step \(result.step).",
      keyNumbers: rows, notes: notes)
  }

  /// summary.md: the key numbers, then each picture with a line on how to read it.
  static func summary(_ text: ReportSummary, distractorNames names: [String], files: [String]) -> String {
    var lines = ["**Verdict:** " + text.verdict, "", "# " + text.title, "", text.data, "", "## Key numbers", "",
                 "| measure | value |", "|---|---|"]
    lines += text.keyNumbers.map { "| \($0.measure) | \($0.value) |" }
    for note in text.notes { lines += ["", note] }
    lines += ["", "## Pictures", ""]
    for (file, caption) in captions(distractorNames: names) where files.contains(file) {
      lines += ["### \(file)", "", caption, "", "![\(file)](\(file))", ""]
    }
    return lines.joined(separator: "\n")
  }

  /// Each picture's file and a line on how to read it, in the order summary.md and index.html show them.
  static func captions(distractorNames names: [String]) -> [(String, String)] {
    let captions: [(String, String)] = [
      ("losses.png", "Training losses per update on a log scale, each term in its own unit (named in the legend): the train total (sum of the train terms), the reconstruction MSE per pixel value on training batches and on held-out validation episodes, the bottleneck's term (VQ commitment or L2 penalty on z_e, the IDM's output) and the action-label term (weight x cross-entropy in nats of the label head, or weight x the pull of z_e towards its action's code). Faint: the logged values; bold: their exponential moving average (as TensorBoard smooths, weight 0.6); the validation curve, measured on a fixed held-out set, is drawn as measured."),
      ("codebook-use.png", "Discrete latents (vq, nsvq, fsq) only: codes used in a training batch and code perplexity (the effective number of codes: exp of the entropy of the codes' frequencies) per logged update, against the codebook size (dashed). Lines that fall to 1 and stay there mean the codebook collapsed onto one code."),
      ("reconstructions.png", "Validation transitions, two per action (one row per action): the frame o, the true next frame o', the FDM's (forward dynamics model's) prediction of o' and the signed error, predicted minus true, averaged over colour channels (blue: predicted too dark, red: too bright). The error column's \"scale ±x\" is the colour scale's bound in pixel values (0 black to 1 full colour): full blue is -x, full red +x, x the largest error shown."),
      ("confusion-action.png", "The agent's action read from z_e (the IDM's latent before quantization) by the nearest class mean (each action's mean z_e on training transitions; a validation transition gets the action whose mean is closest). Rows: the true action, with its count; cells: % of the row. Moves into a wall look like stay, so the stay column absorbs some of every row."),
      ("confusion-probe.png", "The confusion matrix of the agent-action MLP probe (a small network trained to read the action from z) from probe.json, on held-out episodes; % of each true action's row."),
      ("probes.png", "Every probe of probe.json: the MLP's held-out accuracy and balanced accuracy (the mean of the per-class recalls, so a constant answer scores 1/classes) per target, with each target's chance (grey: always answering the most frequent class) and ceiling (black: the best accuracy any predictor reaches from the frames) marked; a bar at its chance mark holds nothing of the target."),
      ("latents-action.png", "z_e on its first two principal axes (PCA; each axis names its share of z_e's variance), coloured by the agent's action: separate clusters mean z holds the action."),
    ] + names.enumerated().flatMap { j, name -> [(String, String)] in
      let tag = fileTag(j, name)
      return [
        ("confusion-distractor-\(tag).png", "The same read-out for the action of distractor '\(name)': a high diagonal means z also holds this distractor's motion, which the agent does not cause (exogenous noise)."),
        ("confusion-probe-distractor-\(tag).png", "The confusion matrix of the MLP probe of the action of distractor '\(name)', from probe.json."),
        ("latents-distractor-\(tag).png", "z_e's principal axes coloured by the action of distractor '\(name)'."),
      ]
    } + [
      ("latents-shake-dx.png", "z_e's principal axes coloured by the camera shake's horizontal offset in o': colour bands mean z holds the shake."),
      ("latents-shake-dy.png", "The same for the vertical offset."),
      ("latent-effects.png", "FDM(o, z) for each code (VQ) or each principal direction of z at -2, -1, +1, +2 standard deviations from the mean latent, from the same validation frames (the left tile of a row, captioned with the agent's cell as (row, col)). A caption names the agent's move found in the prediction; \"jump\" means the agent shows up more than one cell away from where it was, a change no single action makes (often a blurred or duplicated agent)."),
      ("swap-examples.png", "The latent swap test: z of a source transition decoded on another (target) transition's first frame, two pairs per source action in each row. The agent should move as the source's action would (walls: a blocked move stays). Under the target frame, want: the agent's expected cell; under the prediction, got: the cell found there, MISS when they differ; cells are (row, col) from (0, 0) at the top left."),
    ]
    return captions
  }
}
