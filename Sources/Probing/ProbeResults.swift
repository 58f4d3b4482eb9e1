import Core
import Foundation

/// probe.json: everything `lam probe` writes, the one type its writer and every reader (report, sweeps) use.
/// Keys in the file are snake_case (`test_accuracy`).
public struct ProbeResults: Codable, Equatable, Sendable {
  /// "pre-quantization" (z_e) or "quantized" (z).
  public var latent: String
  public var trainTransitions: Int
  public var testTransitions: Int
  public var action: ProbeTarget
  /// One per distractor: its action.
  public var distractors: [ProbeTarget]
  /// Each distractor's cell after the step: what a latent that tracks the distractor holds.
  public var distractorPositions: [ProbeTarget]
  /// The agent's cell after the step.
  public var position: ProbeTarget
  /// The camera's offset after the step, in worlds with shake.
  public var shake: ProbeTarget?
  public var paper: PaperMetrics
  /// VQ bottlenecks only.
  public var codes: CodeAnalysis?

  enum CodingKeys: String, CodingKey {
    case latent, action, distractors, position, shake, paper, codes
    case trainTransitions = "train_transitions", testTransitions = "test_transitions"
    case distractorPositions = "distractor_positions"
  }

  /// The run folder's file.
  public static let file = "probe.json"

  /// `RUN/probe.json`, validated; nil when the run has not been probed.
  public static func load(run runDir: String) throws -> ProbeResults? {
    let path = runDir + "/" + file
    guard FileManager.default.fileExists(atPath: path) else { return nil }
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
    for (j, d) in distractors.enumerated() { try d.validate("distractors[\(j)]", classes: 6, file: file) }
    for (j, d) in distractorPositions.enumerated() { try d.validate("distractor_positions[\(j)]", classes: nil, file: file) }
    try position.validate("position", classes: nil, file: file)
    try shake?.validate("shake", classes: nil, file: file)
    for (field, value) in [("paper.controllable_loss", paper.controllableLoss), ("paper.stochastic_loss", paper.stochasticLoss)] {
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
    /// Held-out counts `confusion[true][predicted]`, for the MLP probes of the agent's and distractors' actions.
    public var confusion: [[Int]]?

    enum CodingKeys: String, CodingKey {
      case testAccuracy = "test_accuracy", confusion
    }
  }

  public var linear: Score
  public var mlp: Score
  public var chance: Double
  public var ceiling: Double?

  /// `classes`: the number of classes a confusion matrix must have, when the target has one.
  func validate(_ field: String, classes: Int?, file: String) throws {
    for (name, value) in [("linear.test_accuracy", linear.testAccuracy), ("mlp.test_accuracy", mlp.testAccuracy),
                          ("chance", chance), ("ceiling", ceiling ?? 1)] {
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

/// The paper's Section-5 metrics: FDM error per region over that region's per-pixel variance of o'.
public struct PaperMetrics: Codable, Equatable, Sendable {
  /// Nil when the agent's region never varies.
  public var controllableLoss: Double?
  /// Nil when there is no exogenous region or its pixels never vary (a clean environment).
  public var stochasticLoss: Double?

  enum CodingKeys: String, CodingKey {
    case controllableLoss = "controllable_loss", stochasticLoss = "stochastic_loss"
  }
}

/// VQ code usage: the code-by-action contingency table, purity, NMI and codebook usage.
public struct CodeAnalysis: Codable, Equatable, Sendable {
  public var contingency: [[Int]]  // [codes, actions]
  public var purity: Double
  public var nmi: Double
  public var codesUsed: Int
  public var codebookSize: Int

  enum CodingKeys: String, CodingKey {
    case contingency, purity, nmi, codesUsed = "codes_used", codebookSize = "codebook_size"
  }
}

extension ProbeResults {
  /// The table `lam probe` prints: each target's linear and MLP accuracy, chance and ceiling, then the
  /// paper's losses and the code statistics. `tested` says what the probes were tested on.
  public func table(tested: String) -> String {
    let f = { (x: Double) in String(format: "%6.3f", x) }
    func row(_ name: String, _ t: ProbeTarget) -> String {
      name.padding(toLength: 14, withPad: " ", startingAt: 0)
        + " \(f(t.linear.testAccuracy))  \(f(t.mlp.testAccuracy))  \(f(t.chance))  \(t.ceiling.map(f) ?? "     -")"
    }
    var lines = ["probe on \(testTransitions) \(tested) (\(latent) latent)", "target         linear     mlp  chance ceiling",
                 row("action", action)]
    lines += distractors.enumerated().map { row("distractor \($0.offset)", $0.element) }
    lines += distractorPositions.enumerated().map { row("distr. \($0.offset) cell", $0.element) }
    lines.append(row("agent cell", position))
    if let shake { lines.append(row("shake", shake)) }
    let g = { (x: Double?) in x.map { String(format: "%.4g", $0) } ?? "- (region never changes)" }
    lines.append("controllable loss \(g(paper.controllableLoss)), stochastic loss \(g(paper.stochasticLoss))")
    if let c = codes {
      lines.append("codes: \(c.codesUsed) of \(c.codebookSize) used, purity \(f(c.purity)), NMI \(f(c.nmi))")
    }
    return lines.joined(separator: "\n")
  }
}
