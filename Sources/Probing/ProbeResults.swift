import Core
import Foundation

/// probe.json: everything `lam probe` writes, the one type its writer and every reader (report, sweeps) use.
/// Keys in the file are snake_case (`test_accuracy`).
public struct ProbeResults: Codable, Equatable, Sendable {
  /// The version written; readers refuse any other (an older probe.json is probed again).
  public static let formatVersion = 2

  public var formatVersion = ProbeResults.formatVersion
  /// One line in words: what the latent holds (see `ProbeResults.verdict`).
  public var verdict = ""
  /// "pre-quantization" (z_e) or "quantized" (z).
  public var latent: String
  public var trainTransitions: Int
  public var testTransitions: Int
  public var action: ProbeTarget
  /// One per distractor, as the environment config names it (`EnvironmentConfig.distractorNames`).
  public var distractorNames: [String]
  /// One per distractor: its action.
  public var distractors: [ProbeTarget]
  /// Each distractor's cell after the step: what a latent that tracks the distractor holds.
  public var distractorPositions: [ProbeTarget]
  /// The agent's cell after the step.
  public var position: ProbeTarget
  /// The camera's offset after the step along each axis (dx + maxPixels, dy + maxPixels), in worlds with shake.
  public var shakeDx: ProbeTarget?
  public var shakeDy: ProbeTarget?
  public var paper: PaperMetrics
  /// The discrete bottlenecks (vq, nsvq, fsq) only.
  public var codes: CodeAnalysis?
  /// The kl bottleneck only: KL(posterior || N(0, 1)) per latent dimension, in nats, averaged over the probed
  /// transitions. A dimension near 0 carries nothing.
  public var klPerDimension: [Double]? = nil

  enum CodingKeys: String, CodingKey {
    case verdict, latent, action, distractors, position, paper, codes
    case klPerDimension = "kl_per_dimension"
    case formatVersion = "format_version", trainTransitions = "train_transitions", testTransitions = "test_transitions"
    case distractorNames = "distractor_names", distractorPositions = "distractor_positions"
    case shakeDx = "shake_dx", shakeDy = "shake_dy"
  }

  /// The run folder's file.
  public static let file = "probe.json"

  /// `RUN/probe.json`, validated; nil when the run has not been probed.
  public static func load(run runDir: String) throws -> ProbeResults? {
    let path = runDir + "/" + file
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let version = StrictJSON.formatVersion(at: path)
    guard version == formatVersion else {
      throw LamError("\(path): format_version \(version.map(String.init) ?? "missing"), this lam reads \(formatVersion); probe the run again with `lam probe --run \(runDir)`")
    }
    let results = try StrictJSON.load(ProbeResults.self, from: path)
    try results.validate(file: path)
    return results
  }

  /// Checks what readers rely on: accuracies and chances in 0...1, counts not negative, confusion matrices
  /// square with one row per class of their target, the code table one column per action.
  public func validate(file: String) throws {
    try Check.range(trainTransitions, "train_transitions", 0...Int(Int32.max), file: file)
    try Check.range(testTransitions, "test_transitions", 0...Int(Int32.max), file: file)
    try action.validate("action", classes: 5, file: file)
    try Check.that(distractorNames.count == distractors.count && distractorPositions.count == distractors.count
                     && paper.distractorLosses.count == distractors.count && paper.distractorLossesShuffled.count == distractors.count,
                   "distractor_names", "one name, action, cell and loss per distractor", file: file)
    for (j, d) in distractors.enumerated() { try d.validate("distractors[\(j)]", classes: 6, file: file) }
    for (j, d) in distractorPositions.enumerated() { try d.validate("distractor_positions[\(j)]", classes: nil, file: file) }
    try position.validate("position", classes: nil, file: file)
    try shakeDx?.validate("shake_dx", classes: nil, file: file)
    try shakeDy?.validate("shake_dy", classes: nil, file: file)
    let losses = [("paper.controllable_loss", paper.controllableLoss), ("paper.stochastic_loss", paper.stochasticLoss),
                  ("paper.controllable_loss_shuffled", paper.controllableLossShuffled),
                  ("paper.stochastic_loss_shuffled", paper.stochasticLossShuffled)]
      + paper.distractorLosses.enumerated().map { ("paper.distractor_losses[\($0.offset)]", $0.element) }
      + paper.distractorLossesShuffled.enumerated().map { ("paper.distractor_losses_shuffled[\($0.offset)]", $0.element) }
    for (field, value) in losses {
      try Check.that(value.map { $0.isFinite && $0 >= 0 } ?? true, field, "a finite loss ratio >= 0", file: file)
    }
    if let codes {
      try Check.that(codes.contingency.allSatisfy { $0.count == 5 && $0.allSatisfy(isCount) }, "codes.contingency",
                     "one row per code of 5 counts in 0...\(Int32.max) (one per action)", file: file)
      try Check.range(codes.purity, "codes.purity", 0...1, file: file)
      try Check.range(codes.nmi, "codes.nmi", 0...1, file: file)
      try Check.range(codes.codebookSize, "codes.codebook_size", 0...1_000_000, file: file)
      try Check.range(codes.codesUsed, "codes.codes_used", 0...codes.codebookSize, file: file)
    }
  }
}

/// A count of transitions, as a table of probe.json may hold one (sums of a row stay far from overflowing).
private func isCount(_ n: Int) -> Bool { (0...Int(Int32.max)).contains(n) }

/// Linear and MLP held-out accuracies for one target, with its chance level (and ceiling when known).
public struct ProbeTarget: Codable, Equatable, Sendable {
  public struct Score: Codable, Equatable, Sendable {
    public var testAccuracy: Double
    /// The mean over the classes in the test rows of each class's recall: a constant answer scores 1/classes
    /// however unbalanced the classes are.
    public var balancedAccuracy: Double
    /// Normalized mutual information of the predicted and true classes (arithmetic-mean normalization): 0 for
    /// predictions independent of the truth, 1 for a perfect relabelling.
    public var nmi: Double
    /// Held-out counts `confusion[true][predicted]`, for the MLP probes of the agent's and distractors' actions.
    public var confusion: [[Int]]?

    enum CodingKeys: String, CodingKey {
      case testAccuracy = "test_accuracy", balancedAccuracy = "balanced_accuracy", nmi, confusion
    }
  }

  public var linear: Score
  public var mlp: Score
  /// Accuracy of always answering the training rows' most frequent class.
  public var chance: Double
  /// Balanced accuracy of that constant answer (NMI's chance level is 0).
  public var balancedChance: Double
  public var ceiling: Double?

  enum CodingKeys: String, CodingKey {
    case linear, mlp, chance, ceiling, balancedChance = "balanced_chance"
  }

  /// `classes`: the number of classes a confusion matrix must have, when the target has one.
  func validate(_ field: String, classes: Int?, file: String) throws {
    for (name, value) in [("linear.test_accuracy", linear.testAccuracy), ("mlp.test_accuracy", mlp.testAccuracy),
                          ("linear.balanced_accuracy", linear.balancedAccuracy), ("mlp.balanced_accuracy", mlp.balancedAccuracy),
                          ("linear.nmi", linear.nmi), ("mlp.nmi", mlp.nmi), ("chance", chance),
                          ("balanced_chance", balancedChance), ("ceiling", ceiling ?? 1)] {
      try Check.range(value, "\(field).\(name)", 0...1, file: file)
    }
    for (name, matrix) in [("linear", linear.confusion), ("mlp", mlp.confusion)] {
      guard let matrix else { continue }
      try Check.that(classes != nil && matrix.count == classes && matrix.allSatisfy { $0.count == classes && $0.allSatisfy(isCount) },
                     "\(field).\(name).confusion", "a \(classes ?? 0) x \(classes ?? 0) matrix of counts in 0...\(Int32.max)",
                     file: file)
    }
  }
}

/// The paper's Section-5 metrics, from the generator's record of what changed each pixel (`ChangeErrors`):
/// the FDM's error on the pixels a source changed over their per-pixel variance of o'. 0: predicted
/// perfectly. The `_shuffled` values are the same losses with each transition decoded from another
/// transition's latent: the level of a latent that holds nothing of the change.
public struct PaperMetrics: Codable, Equatable, Sendable {
  /// On the pixels the agent changed; nil when it changed none or they never vary.
  public var controllableLoss: Double?
  /// On the pixels distractors, noise or shake changed; nil in a clean environment.
  public var stochasticLoss: Double?
  public var controllableLossShuffled: Double?
  public var stochasticLossShuffled: Double?
  /// [K] on the pixels each distractor changed.
  public var distractorLosses: [Double?]
  public var distractorLossesShuffled: [Double?]

  public init(controllableLoss: Double? = nil, stochasticLoss: Double? = nil, controllableLossShuffled: Double? = nil,
              stochasticLossShuffled: Double? = nil, distractorLosses: [Double?] = [], distractorLossesShuffled: [Double?] = []) {
    self.controllableLoss = controllableLoss
    self.stochasticLoss = stochasticLoss
    self.controllableLossShuffled = controllableLossShuffled
    self.stochasticLossShuffled = stochasticLossShuffled
    self.distractorLosses = distractorLosses
    self.distractorLossesShuffled = distractorLossesShuffled
  }

  enum CodingKeys: String, CodingKey {
    case controllableLoss = "controllable_loss", stochasticLoss = "stochastic_loss"
    case controllableLossShuffled = "controllable_loss_shuffled", stochasticLossShuffled = "stochastic_loss_shuffled"
    case distractorLosses = "distractor_losses", distractorLossesShuffled = "distractor_losses_shuffled"
  }
}

/// VQ code usage: the code-by-action contingency table, purity, NMI and codebook usage.
public struct CodeAnalysis: Codable, Equatable, Sendable {
  public var contingency: [[Int]]  // [codes, actions]
  public var purity: Double
  public var nmi: Double
  public var codesUsed: Int
  public var codebookSize: Int
  /// exp(entropy of the codes' frequencies): the effective number of codes (absent in older files).
  public var perplexity: Double?

  enum CodingKeys: String, CodingKey {
    case contingency, purity, nmi, perplexity, codesUsed = "codes_used", codebookSize = "codebook_size"
  }
}

extension ProbeResults {
  /// The table `lam probe` prints: the verdict, each target's linear and MLP accuracy, chance and ceiling,
  /// the MLP's balanced accuracy (with its chance) and NMI, then the losses and the code statistics.
  /// `tested` says what the probes were tested on.
  public func table(tested: String) -> String {
    let f = { (x: Double) in String(format: "%6.3f", x) }
    func row(_ name: String, _ t: ProbeTarget) -> String {
      name.padding(toLength: 20, withPad: " ", startingAt: 0)
        + " \(f(t.linear.testAccuracy))  \(f(t.mlp.testAccuracy))  \(f(t.chance))  \(t.ceiling.map(f) ?? "     -")"
        + "  \(f(t.mlp.balancedAccuracy))  \(f(t.balancedChance))  \(f(t.mlp.nmi))"
    }
    var lines = [verdict, "probe on \(testTransitions) \(tested) (\(latent) latent)",
                 "target               linear     mlp  chance ceiling  mlp-bal  chance  mlp-NMI", row("action", action)]
    lines += zip(distractorNames, distractors).map { row("'\($0)' action", $1) }
    lines += zip(distractorNames, distractorPositions).map { row("'\($0)' cell", $1) }
    lines.append(row("agent cell", position))
    if let shakeDx, let shakeDy { lines += [row("shake dx", shakeDx), row("shake dy", shakeDy)] }
    let g = { (x: Double?) in x.map { String(format: "%.4g", $0) } ?? "-" }
    func loss(_ name: String, _ value: Double?, _ shuffled: Double?) -> String {
      value == nil ? "\(name) - (nothing changed)" : "\(name) \(g(value)) (another transition's latent: \(g(shuffled)))"
    }
    lines.append(loss("controllable loss", paper.controllableLoss, paper.controllableLossShuffled) + ", "
                 + loss("stochastic loss", paper.stochasticLoss, paper.stochasticLossShuffled))
    for (j, name) in distractorNames.enumerated() where j < paper.distractorLosses.count {
      lines.append(loss("'\(name)' loss", paper.distractorLosses[j], paper.distractorLossesShuffled[j]))
    }
    if let c = codes {
      lines.append("codes: \(c.codesUsed) of \(c.codebookSize) used, perplexity \(g(c.perplexity)), purity \(f(c.purity)), NMI \(f(c.nmi))")
    }
    if let kl = klPerDimension {
      lines.append("KL per dimension (nats): " + kl.map { String(format: "%.3g", $0) }.joined(separator: ", "))
    }
    return lines.joined(separator: "\n")
  }

  /// One line in words: how much of the agent's action the latent holds, and whether it tracks a distractor
  /// or the shake as much or more. The action counts by its MLP accuracy's share of the way from chance to
  /// the ceiling; a distractor or shake target by its balanced accuracy's share of the way from its chance to
  /// 1, which a majority class cannot inflate. A rival is named only from a fifth of the way up.
  public func makeVerdict() -> String {
    let f = { (x: Double) in String(format: "%.2f", x) }
    let ceiling = action.ceiling ?? 1
    let actionSkill = (action.mlp.testAccuracy - action.chance) / max(ceiling - action.chance, 1e-9)
    func skill(_ t: ProbeTarget) -> Double { (t.mlp.balancedAccuracy - t.balancedChance) / max(1 - t.balancedChance, 1e-9) }
    var rivals: [(name: String, target: ProbeTarget)] = []
    rivals += zip(distractorNames, distractorPositions).map { ("distractor '\($0)' (cell probe", $1) }
    rivals += zip(distractorNames, distractors).map { ("distractor '\($0)' (action probe", $1) }
    if let shakeDx, let shakeDy { rivals += [("the camera shake (dx probe", shakeDx), ("the camera shake (dy probe", shakeDy)] }
    let top = rivals.max { skill($0.target) < skill($1.target) }
    let rival = top.map { "\($0.name) \(f($0.target.mlp.testAccuracy)), balanced \(f($0.target.mlp.balancedAccuracy)) against chance \(f($0.target.balancedChance)))" }
    let share = "\(f(action.mlp.testAccuracy / max(ceiling, 1e-9))) of the ceiling"
    if let top, let rival, skill(top.target) >= 0.2, skill(top.target) > actionSkill {
      return "the latent tracks \(rival) more than the agent's action (MLP probe \(f(action.mlp.testAccuracy)), \(share))"
    }
    let also = top.map { skill($0.target) >= 0.5 } == true ? "; it also tracks \(rival!)" : ""
    if actionSkill >= 0.8 { return "the latent holds the agent's action: \(share) (MLP probe \(f(action.mlp.testAccuracy)))" + also }
    if actionSkill >= 0.3 { return "the latent holds part of the agent's action: \(share) (MLP probe \(f(action.mlp.testAccuracy)))" + also }
    return "the latent holds little of the agent's action: \(share) (MLP probe \(f(action.mlp.testAccuracy)), chance \(f(action.chance)))" + also
  }
}
