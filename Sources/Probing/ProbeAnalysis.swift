import Core
import Foundation
import GridWorld
import LAM
import NN
import Training

/// Probing a frozen LAM: what its latents hold about the action, distractors, position and shake.
public enum ProbeAnalysis {
  /// The MLP probe's hidden width.
  public static let hidden = 64

  /// Probes `model`'s latents: trains on the split's training episodes (at most `maxTrain` transitions,
  /// evenly spaced), tests on every transition of its validation episodes, or, given `evaluation`, on every
  /// transition of that dataset instead (e.g. uniform-policy data for a run trained on a correlated policy).
  public static func run(model: LatentActionModel, dataset: Dataset, split: EpisodeSplit, quantized: Bool,
                         evaluation: Dataset? = nil, maxTrain: Int = 50_000,
                         settings: Probe.Settings = Probe.Settings(), progress: (String) -> Void = { _ in }) throws -> Probed {
    try Check.that(model.frame == dataset.frame, "dataset frames",
                   "the run's frame shape \(model.frame), got \(dataset.frame)")
    if let evaluation {
      try Check.that(evaluation.frame == dataset.frame && evaluation.steps == dataset.steps
                       && evaluation.distractorCount == dataset.distractorCount, "evaluation dataset",
                     "frames \(dataset.frame), \(dataset.steps) steps and \(dataset.distractorCount) distractors like the run's data, "
                       + "got \(evaluation.frame), \(evaluation.steps) and \(evaluation.distractorCount)")
      // One dataset holding both, so the probes train on the run's episodes and test on the evaluation's.
      let both = dataset.appending(evaluation)
      let tested = EpisodeSplit(train: split.train, validation: Array(dataset.episodes..<both.episodes), labelled: [])
      return try run(model: model, dataset: both, split: tested, quantized: quantized, maxTrain: maxTrain,
                     settings: settings, progress: progress)
    }
    let allTrain = dataset.transitions(of: split.train), testT = dataset.transitions(of: split.validation)
    // Probes saturate long before a large dataset is used up; an even subsample keeps them fast.
    let kept = min(allTrain.count, max(maxTrain, 1))
    let trainT = (0..<kept).map { allTrain[$0 * allTrain.count / kept] }
    let all = trainT + testT
    let train = Array(0..<trainT.count), test = Array(trainT.count..<all.count)
    progress("encoding \(all.count) transitions (\(trainT.count) to train the probes on, \(testT.count) to test them)")
    var changes = ChangeErrors(dataset.config)
    let n = dataset.frameSize
    let predicted = Tensor([0]), rolled = Tensor([0])  // [B, C, H, W] the prediction; [B, dz] z of other transitions
    let encoding = Encoding.encode(model, dataset: dataset, transitions: all, quantized: quantized) { first, o, next, prediction in
      let rows = next.shape[0]
      guard first + rows > trainT.count else { return }
      predicted.resize(prediction.shape)
      predicted.copy(from: prediction)
      // Row i decoded from the latent of row i + B/2: another episode's transition in the batch, so that its
      // error is that of a latent holding nothing of this transition.
      let z = model.latent, dz = z.shape[1]
      rolled.resize(z.shape)
      for i in 0..<rows { for k in 0..<dz { rolled.data[i * dz + k] = z.data[((i + rows / 2) % rows) * dz + k] } }
      let shuffled = model.decode(o, latent: rolled)
      for i in max(0, trainT.count - first)..<rows {
        changes.add(o: o.data + i * n, next: next.data + i * n, prediction: predicted.data + i * n,
                    shuffledPrediction: shuffled.data + i * n, record: dataset.transition(all[first + i]))
      }
    }
    let paper = changes.metrics()
    let losses = [paper.controllableLoss, paper.stochasticLoss, paper.controllableLossShuffled, paper.stochasticLossShuffled]
      + paper.distractorLosses + paper.distractorLossesShuffled
    // Weights that overflow float32 (finite, but 1e38) give infinite or NaN latents and predictions.
    guard encoding.latents.allSatisfy(\.isFinite), losses.allSatisfy({ $0?.isFinite ?? true }) else {
      throw LamError(nonFinite)
    }
    return try analyse(encoding, dataset: dataset, transitions: all, train: train, test: test, quantized: quantized,
                       paper: paper, settings: settings, progress: progress)
  }

  /// The error for a model whose latents or predictions are not finite; `probeRun` names the checkpoint.
  public static let nonFinite = "the model's latents or predictions are not finite on this data (its weights overflow float32)"

  /// What probing gives: the results, and the fitted MLP action probe (to label new data with).
  public struct Probed {
    public var results: ProbeResults
    public var actionProbe: ProbeModel
  }

  /// Probes given latents (rows parallel to `transitions`); `train` and `test` index those rows.
  public static func analyse(_ encoding: Encoding, dataset: Dataset, transitions: [Int], train: [Int], test: [Int],
                             quantized: Bool, paper: PaperMetrics, settings: Probe.Settings = Probe.Settings(),
                             progress: (String) -> Void = { _ in }) throws -> Probed {
    let z = encoding.latents, d = encoding.dz
    var actionProbe: ProbeModel? = nil
    let names = dataset.config.distractorNames
    let targets = 2 + 2 * names.count + (dataset.config.shake.isActive ? 2 : 0)
    var done = 0
    func target(_ name: String, _ labels: [Int], classes: Int, ceiling: Double? = nil, confusion: Bool = false) -> ProbeTarget {
      done += 1
      progress("probe \(done) of \(targets): \(name)")
      let linear = Probe.evaluate(features: z, dim: d, labels: labels, classes: classes, train: train, test: test,
                                  kind: .linear, settings: settings)
      let mlp = Probe.evaluate(features: z, dim: d, labels: labels, classes: classes, train: train, test: test,
                               kind: .mlp(hidden: hidden), settings: settings)
      if actionProbe == nil { actionProbe = mlp.model }  // the first target is the action
      func score(_ e: Probe.Evaluation, keep: Bool) -> ProbeTarget.Score {
        .init(testAccuracy: e.accuracy, balancedAccuracy: balancedAccuracy(e.confusion), nmi: nmi(e.confusion),
              confusion: keep ? e.confusion : nil)
      }
      let majority = Probe.majority(labels: labels, train: train)
      var constant = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
      for row in test { constant[labels[row]][majority] += 1 }
      return ProbeTarget(linear: score(linear, keep: false), mlp: score(mlp, keep: confusion),
                         chance: Probe.chance(labels: labels, train: train, test: test),
                         balancedChance: balancedAccuracy(constant), ceiling: ceiling)
    }
    let actions = transitions.map { dataset.actions[$0] }
    let testTransitions = test.map { transitions[$0] }
    let action = target("action", actions, classes: Action.allCases.count,
                        ceiling: actionCeiling(dataset, transitions: testTransitions), confusion: true)
    let k = dataset.distractorCount
    let distractors = (0..<k).map { j in
      target("'\(names[j])' action", transitions.map { dataset.distractorActions[$0 * k + j] }, classes: Action.teleportCode + 1,
             ceiling: distractorActionCeiling(dataset, distractor: j, transitions: testTransitions), confusion: true)
    }
    let records = transitions.map(dataset.transition)
    let width = dataset.config.grid.width, cells = width * dataset.config.grid.height
    let distractorPositions = (0..<k).map { j in
      target("'\(names[j])' cell", records.map { $0.distractorsAfter[j].index(width: width) }, classes: cells)
    }
    let position = target("agent cell", records.map { $0.agentAfter.index(width: width) }, classes: cells)
    var shakeDx: ProbeTarget? = nil, shakeDy: ProbeTarget? = nil
    let m = dataset.config.shake.maxPixels
    if dataset.config.shake.isActive {
      shakeDx = target("shake dx", records.map { $0.shakeAfter.dx + m }, classes: 2 * m + 1)
      shakeDy = target("shake dy", records.map { $0.shakeAfter.dy + m }, classes: 2 * m + 1)
    }
    var codes: CodeAnalysis? = nil
    if let indices = encoding.codes {
      codes = codeAnalysis(codes: test.map { indices[$0] }, actions: test.map { actions[$0] },
                           size: max(encoding.codebookSize ?? 0, (indices.max() ?? -1) + 1))
    }
    var results = ProbeResults(latent: quantized ? "quantized" : "pre-quantization", trainTransitions: train.count,
                               testTransitions: test.count, action: action, distractorNames: names,
                               distractors: distractors, distractorPositions: distractorPositions, position: position,
                               shakeDx: shakeDx, shakeDy: shakeDy, paper: paper, codes: codes,
                               klPerDimension: encoding.klPerDimension)
    results.verdict = results.makeVerdict()
    return Probed(results: results, actionProbe: actionProbe!)
  }

  /// The best accuracy any predictor of the action can reach from the frames on `transitions`: a move
  /// is identified; a transition without a move (stay, or a move into a wall) is only known by the
  /// cell it happened in, so the best guess is that cell's most frequent unmoving action.
  public static func actionCeiling(_ dataset: Dataset, transitions: [Int]) -> Double {
    let width = dataset.config.grid.width
    return ceiling(transitions.map { t in
      (dataset.actions[t], dataset.moved[t], dataset.transition(t).agentBefore.index(width: width))
    })
  }

  /// The same ceiling for a distractor's action: it moved when its cell changed.
  public static func distractorActionCeiling(_ dataset: Dataset, distractor j: Int, transitions: [Int]) -> Double {
    let width = dataset.config.grid.width
    return ceiling(transitions.map { t in
      let record = dataset.transition(t)
      let before = record.distractorsBefore[j]
      return (record.distractorActions[j], before != record.distractorsAfter[j], before.index(width: width))
    })
  }

  /// (action, moved, cell before) per transition -> the fraction a best predictor gets right.
  private static func ceiling(_ rows: [(action: Int, moved: Bool, cell: Int)]) -> Double {
    guard !rows.isEmpty else { return 0 }
    var moved = 0
    var stillCounts: [Int: [Int: Int]] = [:]  // cell -> action -> count
    for row in rows {
      if row.moved { moved += 1; continue }
      stillCounts[row.cell, default: [:]][row.action, default: 0] += 1
    }
    let best = stillCounts.values.reduce(0) { $0 + ($1.values.max() ?? 0) }
    return Double(moved + best) / Double(rows.count)
  }

  /// Contingency table, purity (each code answers its most frequent action), NMI (arithmetic-mean
  /// normalization) and the number of codes used.
  public static func codeAnalysis(codes: [Int], actions: [Int], size: Int) -> CodeAnalysis {
    let a = Action.allCases.count
    var table = [[Int]](repeating: [Int](repeating: 0, count: a), count: size)
    for (c, y) in zip(codes, actions) { table[c][y] += 1 }
    let n = Double(codes.count)
    let purity = n > 0 ? Double(table.reduce(0) { $0 + ($1.max() ?? 0) }) / n : 0
    return CodeAnalysis(contingency: table, purity: purity, nmi: nmi(table),
                        codesUsed: table.filter { $0.contains { $0 > 0 } }.count, codebookSize: size,
                        perplexity: Double(codePerplexity(table.map { $0.reduce(0, +) })))
  }

  /// Normalized mutual information of a contingency table's row and column variables, I / ((H_row + H_col) / 2);
  /// 0 when either is constant.
  public static func nmi(_ table: [[Int]]) -> Double {
    let n = Double(table.reduce(0) { $0 + $1.reduce(0, +) })
    guard n > 0, let columns = table.first?.count else { return 0 }
    let rowSums = table.map { Double($0.reduce(0, +)) }
    let colSums = (0..<columns).map { j in Double(table.reduce(0) { $0 + $1[j] }) }
    func entropy(_ counts: [Double]) -> Double { counts.reduce(0) { $1 > 0 ? $0 - $1 / n * log($1 / n) : $0 } }
    var mutual = 0.0
    for r in table.indices { for c in 0..<columns where table[r][c] > 0 {
      let p = Double(table[r][c]) / n
      mutual += p * log(p * n * n / (rowSums[r] * colSums[c]))
    } }
    let denominator = (entropy(rowSums) + entropy(colSums)) / 2
    return denominator > 0 ? min(max(mutual / denominator, 0), 1) : 0
  }

  /// The mean over the classes present (rows with counts) of each class's recall, from `confusion[true][predicted]`.
  public static func balancedAccuracy(_ confusion: [[Int]]) -> Double {
    let recalls = confusion.indices.compactMap { c -> Double? in
      let total = confusion[c].reduce(0, +)
      return total > 0 ? Double(confusion[c][c]) / Double(total) : nil
    }
    return recalls.isEmpty ? 0 : recalls.reduce(0, +) / Double(recalls.count)
  }
}

extension Cell {
  /// row * width + col: the cell as a class label.
  func index(width: Int) -> Int { row * width + col }
}
